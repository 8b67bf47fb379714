/**
 * What a client owes of the bytes meant for it: the slow-client policy judges progress, not
 * position, so a burst (one loop, a catch-up, a replay page) never counts against a client that
 * reads, and a client that stops owes everything sent after. The send queue keeps one for the
 * bytes it queues, `HeldBytes` one for the events a hub holds back behind a replay.
 */
import { currentTurn } from './turn.js';

/** How many turns after the largest a catch-up may come (a snapshot, then its catch-ups). */
const CATCH_UP_TURNS = 3;

export class UnreadLedger {
  /** A turn of more bytes than this is a burst even when the credit left is larger. */
  readonly #maxBufferedBytes: number;
  /** Every byte ever counted: positions in this count place the turn among them. */
  #total = 0;
  /** The turn of the last count, and where its bytes start. */
  #turn = -1;
  #turnStart = 0;
  /** Unread bytes of bursts the client is not judged on: never more than it has left unread. */
  #credit = 0;
  /** The most bytes counted in one turn: the credit stays under twice that (the memory bound). */
  #largestTurn = 0;
  /** Turns counted since the largest: a catch-up follows its snapshot within a few. */
  #turnsSinceLargest = 0;

  constructor(maxBufferedBytes: number) {
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Every byte counted so far. */
  get total(): number {
    return this.#total;
  }

  /** `bytes` more are meant for the client, after all counted before. */
  count(bytes: number): void {
    this.#total += bytes;
  }

  /**
   * What the client owes: of the `buffered` bytes (the last of those counted, not yet read),
   * those counted before this turn, less its credit. The credit grows by each burst (a turn's
   * bytes above what is left of it, or a catch-up: above `maxBufferedBytes` within a few turns
   * of the largest, while the credit stays under twice that turn); it shrinks to what the client
   * left unread as it reads, so debt grows only while bytes arrive faster than the client takes
   * them.
   */
  unreadDebt(buffered: number): number {
    if (buffered === 0) {
      this.#credit = 0;
      this.#largestTurn = 0;
      return 0;
    }
    // Bytes before `read` in the count of every byte have left for the client.
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
      // Counted behind the earlier bursts, a new one is read after them: it adds to the time the
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

/** How many bytes of the range [start, end) of the count are still unread at `read`. */
function unreadOf(start: number, end: number, read: number): number {
  return Math.max(0, end - Math.max(start, read));
}
