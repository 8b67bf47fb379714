/**
 * The bytes a stream holds for its client, and what the client owes of them: the slow-client
 * policy judges progress, not position, so a burst (one loop, a catch-up, a replay page) never
 * counts against a client that reads, and a client that stops owes everything sent after.
 */
import { SsekitError } from './errors.js';
import { currentTurn } from './turn.js';

/**
 * @internal `stream[admitsHeld](bytes)`: whether a client owing `bytes` more than its stream
 * queued (events the hub holds back for it) is within `maxBufferedBytes`; else its overflow.
 */
export const admitsHeld = Symbol.for('ssekit.admitsHeld');

/** How many turns after the largest a catch-up may come (a snapshot, then its catch-ups). */
const CATCH_UP_TURNS = 3;

export class SendQueue {
  /** A turn of more bytes than this is a burst even when the credit left is larger. */
  readonly #maxBufferedBytes: number;
  /** Made at the first push after the queue empties: an idle stream holds no array. */
  #chunks: Uint8Array[] | undefined;
  #bytes = 0;
  /** Every byte ever queued: positions in this count place the turn in the queue. */
  #total = 0;
  /** The turn of the last push, and where its bytes start. */
  #turn = -1;
  #turnStart = 0;
  /** Unread bytes of bursts the client is not judged on: never more than it has left unread. */
  #credit = 0;
  /** The most bytes queued in one turn: the credit stays under twice that (the memory bound). */
  #largestTurn = 0;
  /** Turns queued since the largest: a catch-up follows its snapshot within a few. */
  #turnsSinceLargest = 0;

  constructor(maxBufferedBytes: number) {
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Bytes queued and not yet taken by the sink. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queues `chunk`; `true` when the queue was empty (the sink needs waking). */
  push(chunk: Uint8Array): boolean {
    this.#chunks ??= [];
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
    this.#total += chunk.byteLength;
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

  /**
   * What the client owes: of the `buffered` bytes (queued here or held by the sink), those
   * queued before this turn, less its credit. The credit grows by each burst (a turn's bytes
   * above what is left of it, or a catch-up: above `maxBufferedBytes` within a few turns of the
   * largest, while the credit stays under twice that turn); it shrinks to what the client left
   * unread as it reads, so debt grows only while bytes arrive faster than the client takes them.
   */
  unreadDebt(buffered: number): number {
    if (buffered === 0) {
      this.#credit = 0;
      this.#largestTurn = 0;
      return 0;
    }
    // Bytes before `read` in the count of every byte queued have left for the client.
    const read = this.#total - buffered;
    const turn = currentTurn();
    if (turn !== this.#turn) {
      const credit = Math.min(this.#credit, unreadOf(0, this.#turnStart, read));
      const lastTurn = unreadOf(this.#turnStart, this.#total, read);
      const size = this.#total - this.#turnStart;
      if (size > this.#largestTurn) {
        this.#largestTurn = size;
        this.#turnsSinceLargest = 0;
      } else {
        this.#turnsSinceLargest += 1;
      }
      // Queued behind the earlier bursts, a new one is read after them: it adds to the time the
      // client is given rather than taking the place of what it is still reading. So does a
      // smaller one above maxBufferedBytes within CATCH_UP_TURNS of the largest (a catch-up after
      // a snapshot), up to twice that turn: a turn cannot tell a client still reading from one
      // that stopped, so later turns and small events never join, and the bound keeps what such
      // catch-ups to a client that stopped hold.
      const catchUp =
        lastTurn > this.#maxBufferedBytes &&
        this.#turnsSinceLargest <= CATCH_UP_TURNS &&
        credit + lastTurn <= 2 * this.#largestTurn;
      const burst = lastTurn > credit || catchUp;
      this.#credit = burst ? credit + lastTurn : credit;
      this.#turn = turn;
      this.#turnStart = this.#total;
    }
    const earlier = unreadOf(0, this.#turnStart, read);
    if (this.#credit > earlier) this.#credit = earlier;
    return earlier - this.#credit;
  }
}

/** Why a client is cut off by `onOverflow: 'close'`: what a fetch runtime aborts the response with. */
export function cutOff(): SsekitError {
  return new SsekitError(
    'ERR_SSE_OVERFLOW',
    "ssekit: cut off a client that left more than maxBufferedBytes unread (onOverflow: 'close'); its connection was aborted to free it. It reconnects and resumes with Last-Event-ID.",
  );
}

/** How many bytes of the range [start, end) of the queued count are still unread at `read`. */
function unreadOf(start: number, end: number, read: number): number {
  return Math.max(0, end - Math.max(start, read));
}
