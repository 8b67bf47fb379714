/**
 * The events a hub holds back for a client while its replay runs, judged as if they were queued:
 * what the client reads of its stream (the replay) counts as read of them too, never ahead of
 * them, so a client reading at full speed owes nothing and one that stopped owes them all; a
 * burst held in one turn is not held against it, as a burst queued is not.
 */
import { UnreadLedger } from './unread-ledger.js';

/**
 * @internal `stream[holdBack](bytes)`: the hub holds `bytes` more back for the stream's client;
 * whether it is still within `maxBufferedBytes` (else its overflow, per `onOverflow`).
 */
export const holdBack = Symbol.for('ssekit.holdBack');

/** @internal `stream[heldSent]()`: what the hub held back went out; nothing is held now. */
export const heldSent = Symbol.for('ssekit.heldSent');

export class HeldBytes extends UnreadLedger {
  /** Of the bytes counted, how many the client's reading has paid for. */
  #read = 0;
  /** How many bytes of its stream the client had read when last looked at. */
  #streamRead: number;

  constructor(maxBufferedBytes: number, streamRead: number) {
    super(maxBufferedBytes);
    this.#streamRead = streamRead;
  }

  /**
   * Counts `bytes` more held back, the client having read `streamRead` bytes of its stream so
   * far; returns what it owes of the held bytes.
   */
  hold(bytes: number, streamRead: number): number {
    this.#read = Math.min(this.total, this.#read + streamRead - this.#streamRead);
    this.#streamRead = streamRead;
    this.count(bytes);
    return this.unreadDebt(this.total - this.#read);
  }
}
