/**
 * The events a hub holds back for a client, judged as if they were queued: a burst held in one
 * turn is not held against it, as a burst queued is not. Behind a replay (live events held until
 * it ends), only while the replay waits on the client: one that has taken what it was given (its
 * buffer below the high-water mark, or all it held when last looked at read since) waits on the
 * server (a slow backend, a long snapshot, a replay paced by its own writes) and owes nothing;
 * otherwise what it reads of its stream counts as read of the held bytes too, never ahead of them,
 * so a client that stopped owes them all. Behind latest values (plain events held while it is
 * behind), they are owed until they go out, when it reads again: what it reads meanwhile is what
 * was queued before them.
 */
import { UnreadLedger } from './unread-ledger.js';

/**
 * @internal `stream[holdBack](bytes, behindReplay)`: the hub holds `bytes` more back for the
 * stream's client; whether it is still within `maxBufferedBytes` (else its overflow, per
 * `onOverflow`).
 */
export const holdBack = Symbol.for('ssekit.holdBack');

/** @internal `stream[heldSent]()`: what the hub held back went out; nothing is held now. */
export const heldSent = Symbol.for('ssekit.heldSent');

/** @internal `stream[heldForgotten](bytes)`: `bytes` held back went out, or were dropped. */
export const heldForgotten = Symbol.for('ssekit.heldForgotten');

export class HeldBytes extends UnreadLedger {
  /** Of the bytes counted, how many the client's reading has paid for. */
  #read = 0;
  /** How many bytes of its stream the client had read when last looked at. */
  #streamRead: number;
  /** How many bytes it had been given and not read then. */
  #buffered = 0;

  constructor(maxBufferedBytes: number, streamRead: number) {
    super(maxBufferedBytes);
    this.#streamRead = streamRead;
  }

  /**
   * What the client owes of the bytes held so far, having read `streamRead` bytes of its stream
   * and left `buffered` unread. Behind a replay (`behindReplay`), what it reads of its stream
   * pays for them, and a client below `highWaterMark`, or that read all it had been given when
   * last looked at, waits on the server. Behind latest values it reads what was queued before
   * them: they are owed until they go out (`forget`). The bytes about to be held are counted only
   * once admitted (`count`), as a send is: they are not yet the client's to read.
   */
  owed(streamRead: number, buffered: number, highWaterMark: number, behindReplay: boolean): number {
    if (behindReplay) {
      const readSince = streamRead - this.#streamRead;
      const waitsOnServer = buffered < highWaterMark || readSince >= this.#buffered;
      this.#read = waitsOnServer ? this.total : Math.min(this.total, this.#read + readSince);
      this.#streamRead = streamRead;
      this.#buffered = buffered;
    }
    return this.unreadDebt(this.total - this.#read);
  }

  /** `bytes` held went out, or were forgotten (their topic left): no longer owed as held. */
  forget(bytes: number): void {
    this.#read = Math.min(this.total, this.#read + bytes);
  }
}
