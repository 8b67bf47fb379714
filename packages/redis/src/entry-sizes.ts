/**
 * The largest entry per window of counts. Redis counts entries, not bytes, so a plain `XRANGE`
 * page is bounded in bytes only when the reader knows how large the entries it asks for can be.
 * The append script knows each entry's bytes as it appends it: it records, per window of
 * `SIZE_WINDOW` consecutive counts (the counted ids of `counted-ids.ts`), the bytes of the
 * window's largest entry, in the hash `<stream key>:sizes` (field: the window's number). A replay
 * asks for as many entries as fit its budget were each as large as its window's largest, with a
 * plain `XRANGE`; a window without a record (its entries appended before this record existed, or
 * too long ago) is read by the page script instead (`read-page.ts`), which measures each entry.
 */
import type { RedisConnection } from './connection/connection.js';
import { countOf } from './counted-ids.js';
import { readSizes } from './replies.js';

/** Consecutive counts sharing one record: the record's granularity. */
export const SIZE_WINDOW = 256;

/**
 * Windows kept without a `maxEvents` retention to size them by: a replay from further back than
 * this many windows reads with the page script.
 */
export const KEPT_WINDOWS = 1024;

/** Records fetched per round trip. */
const FETCHED_AT_ONCE = 64;

/** The hash beside the stream `key`: under its name, so in its hash slot, like `:latest`. */
export function entrySizesKey(key: string): string {
  return `${key}:sizes`;
}

/** The recorded sizes of one stream, fetched as a replay reaches them. */
export class RecordedSizes {
  readonly #connection: RedisConnection;
  readonly #key: string;
  /** Largest entry's bytes by window, `undefined` where Redis has no record. */
  readonly #largest = new Map<bigint, number | undefined>();

  constructor(connection: RedisConnection, key: string) {
    this.#connection = connection;
    this.#key = entrySizesKey(key);
  }

  /**
   * How many entries after `afterId` fit `budgetBytes`, at most `most`, were each entry as large
   * as the largest of its window: 0 when the next entry's window has no record or its largest
   * alone is over the budget.
   */
  async fitting(afterId: string, most: number, budgetBytes: number): Promise<number> {
    const after = countOf(afterId);
    let taken = 0;
    let bytes = 0;
    while (taken < most) {
      const next = after + BigInt(taken) + 1n;
      const window = next / BigInt(SIZE_WINDOW);
      const largest = await this.#largestIn(window);
      if (largest === undefined) break;
      const inWindow = Math.min(Number((window + 1n) * BigInt(SIZE_WINDOW) - next), most - taken);
      const fit = Math.floor((budgetBytes - bytes) / largest);
      if (fit < inWindow) return taken + fit;
      taken += inWindow;
      bytes += inWindow * largest;
    }
    return taken;
  }

  async #largestIn(window: bigint): Promise<number | undefined> {
    if (!this.#largest.has(window)) await this.#fetchFrom(window);
    return this.#largest.get(window);
  }

  async #fetchFrom(window: bigint): Promise<void> {
    const windows = Array.from({ length: FETCHED_AT_ONCE }, (_, n) => window + BigInt(n));
    const reply = await this.#connection.command([
      'HMGET',
      this.#key,
      ...windows.map((each) => each.toString()),
    ]);
    const sizes = readSizes(reply);
    windows.forEach((each, n) => {
      this.#largest.set(each, sizes[n]);
    });
  }
}
