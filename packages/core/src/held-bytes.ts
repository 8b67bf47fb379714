/**
 * The events a hub holds back for a client (live events behind its replay, plain events behind
 * the latest values held for it), judged as if they were queued, but only while the hub waits on
 * the client: behind a replay, a client that has taken what it was given (its buffer below the
 * high-water mark, or all it held when last looked at read since) waits on the server (a slow
 * backend, a long snapshot, a replay paced by its own writes), and owes nothing. Behind latest
 * values it never does: they are held because it is behind, and go out as soon as it reads. Otherwise what it reads of its
 * stream counts as read of the held bytes too, never ahead of them, so a client that stopped owes
 * them all; a burst held in one turn is not held against it, as a burst queued is not.
 */
import { UnreadLedger } from './unread-ledger.js';

/**
 * @internal `stream[holdBack](bytes, serverMayPace)`: the hub holds `bytes` more back for the
 * stream's client; whether it is still within `maxBufferedBytes` (else its overflow, per
 * `onOverflow`).
 */
export const holdBack = Symbol.for('ssekit.holdBack');

/** @internal `stream[heldSent]()`: what the hub held back went out; nothing is held now. */
export const heldSent = Symbol.for('ssekit.heldSent');

/** @internal `stream[heldForgotten](bytes)`: `bytes` the hub held back were dropped, not sent. */
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
   * and left `buffered` unread. Where the server may pace what the client is given
   * (`serverMayPace`: a replay), a client below `highWaterMark`, or that read all it had been
   * given when last looked at, waits on the server. The bytes about to be held are counted only
   * once admitted (`count`), as a send is: they are not yet the client's to read.
   */
  owed(
    streamRead: number,
    buffered: number,
    highWaterMark: number,
    serverMayPace: boolean,
  ): number {
    const readSince = streamRead - this.#streamRead;
    const waitsOnServer =
      serverMayPace && (buffered < highWaterMark || readSince >= this.#buffered);
    this.#read = waitsOnServer ? this.total : Math.min(this.total, this.#read + readSince);
    this.#streamRead = streamRead;
    this.#buffered = buffered;
    return this.unreadDebt(this.total - this.#read);
  }

  /** `bytes` held are forgotten (their topic left the stream): the client no longer owes them. */
  forget(bytes: number): void {
    this.#read = Math.min(this.total, this.#read + bytes);
  }
}
