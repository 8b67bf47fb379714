/**
 * The bytes a stream holds for its client, in order, until its sink takes them; what the client
 * owes of them is the ledger's (`unread-ledger.ts`).
 */
import { SsekitError } from './errors.js';
import { UnreadLedger } from './unread-ledger.js';

export class SendQueue extends UnreadLedger {
  /** Made at the first push after the queue empties: an idle stream holds no array. */
  #chunks: Uint8Array[] | undefined;
  #bytes = 0;

  /** Bytes queued and not yet taken by the sink. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queues `chunk`; `true` when the queue was empty (the sink needs waking). */
  push(chunk: Uint8Array): boolean {
    this.#chunks ??= [];
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
    this.count(chunk.byteLength);
    return this.#chunks.length === 1;
  }

  /**
   * Takes the oldest chunks, about `limit` bytes of them (at least one), or `undefined` when
   * empty. A sink copies what it takes into one chunk per client: taking at most a high-water
   * mark's worth leaves a burst where it is, shared by every client the hub sent it to.
   */
  take(limit: number): Uint8Array[] | undefined {
    const chunks = this.#chunks;
    if (chunks === undefined) return undefined;
    if (this.#bytes <= limit) {
      this.#chunks = undefined;
      this.#bytes = 0;
      return chunks;
    }
    let count = 0;
    let bytes = 0;
    while (bytes < limit) bytes += (chunks[count++] as Uint8Array).byteLength;
    this.#bytes -= bytes;
    return chunks.splice(0, count);
  }

  /** Drops everything queued: the client is gone. */
  clear(): void {
    this.#chunks = undefined;
    this.#bytes = 0;
  }
}

/** Why a client is cut off by `onOverflow: 'close'`: what a fetch runtime aborts the response with. */
export function cutOff(): SsekitError {
  return new SsekitError(
    'ERR_SSE_OVERFLOW',
    "ssekit: cut off a client that left more than maxBufferedBytes unread (onOverflow: 'close'); its connection was aborted to free it. It reconnects and resumes with Last-Event-ID.",
  );
}
