/**
 * How large the entries of a stretch of the stream can be. Redis counts entries, not bytes, so
 * a plain `XRANGE` page is bounded in bytes only when the reader knows how large the entries it
 * gets can be. The append script knows each entry's bytes as it appends it: per window of
 * `SIZE_WINDOW` consecutive counts (the counted ids of `counted-ids.ts`) it records, in the hash
 * `<stream key>:sizes`, the bytes of the window's largest entry (field `<window>`) and, when it
 * appended the window's first entry, that entry's id (field `<window>:first`).
 *
 * A window is complete once the next one's first id is recorded: nothing of it can come after.
 * A replay then reads from the client's id up to, not including, the first id of the window after
 * the complete windows it takes, as many entries as fit its budget were each as large as their
 * largest. Whatever ids Redis holds in that range (a made-up id, history trimmed away) belong to
 * those windows, since ids grow with counts: the reply fits. The window of the position (the
 * stream's last id as the replay found it before reading any record) is read up to the position:
 * what came until then is in the record it reads. A window without the next one's first id that
 * is not the position's (the next one's record dropped) ends what a plain read takes. Elsewhere
 * the page script reads (`read-page.ts`).
 */
import { compareIds, isHubId } from '@ssekit/core/broker';
import type { RedisConnection } from './connection/connection.js';
import { countOf } from './counted-ids.js';
import { isErrorReply, readTexts } from './replies.js';

/** Consecutive counts sharing one record: the record's granularity. */
export const SIZE_WINDOW = 256;

/**
 * The least a window records as its largest entry's bytes: a publish of entries no larger than
 * this costs Redis no read of the record (a page then holds at most 256 entries).
 */
export const SIZE_FLOOR = 256;

/**
 * Windows kept without a `maxEvents` retention to size them by: a replay from further back than
 * this many windows reads with the page script.
 */
export const KEPT_WINDOWS = 1024;

/** Windows dropped at most per window started: a lowered `maxEvents` drops the rest later. */
export const DROPPED_AT_ONCE = 64;

/** Windows fetched per round trip. */
const FETCHED_AT_ONCE = 64;

/** The hash beside the stream `key`: under its name, so in its hash slot, like `:latest`. */
export function entrySizesKey(key: string): string {
  return `${key}:sizes`;
}

/** A window, as one `HMGET` saw it with the first id of the window after it. */
interface Window {
  readonly largest: number | undefined;
  readonly firstId: string | undefined;
  /** `undefined` for the window still being appended to, or one the next of which was dropped. */
  readonly nextFirstId: string | undefined;
}

/** A plain read: `XRANGE key (afterId end COUNT count`, `end` exclusive or not. */
export interface PlainRead {
  readonly count: number;
  readonly end: string;
  readonly endExclusive: boolean;
}

/** The recorded sizes of one stream, fetched as a replay reaches them. */
export class RecordedSizes {
  readonly #connection: RedisConnection;
  readonly #key: string;
  readonly #position: string;
  readonly #positionWindow: bigint;
  readonly #windows = new Map<bigint, Window>();
  /** Redis answered the record with an error (a key of another type): the script reads. */
  #unreadable = false;

  /** `position`: the stream's last id, read before this reads any record. */
  constructor(connection: RedisConnection, key: string, position: string) {
    this.#connection = connection;
    this.#key = entrySizesKey(key);
    this.#position = position;
    this.#positionWindow = countOf(position) / BigInt(SIZE_WINDOW);
  }

  /**
   * The plain read after `afterId` that holds at most `most` entries and `budgetBytes` of them,
   * over the windows from the one `afterId` lies in; `undefined` when `afterId` lies in no
   * window recorded in full.
   */
  async plainRead(
    afterId: string,
    most: number,
    budgetBytes: number,
  ): Promise<PlainRead | undefined> {
    const after = countOf(afterId);
    let last = after / BigInt(SIZE_WINDOW);
    const start = await this.#window(last);
    if (
      start?.largest === undefined ||
      start.firstId === undefined ||
      compareIds(start.firstId, afterId) > 0 ||
      (start.nextFirstId === undefined && last !== this.#positionWindow) ||
      compareIds(afterId, start.nextFirstId ?? this.#position) >= 0
    ) {
      return undefined;
    }
    let { largest, nextFirstId } = start;
    let count = Math.min(most, Math.floor(budgetBytes / largest));
    const takenAfter = () => Number((last + 1n) * BigInt(SIZE_WINDOW) - 1n - after);
    // Take the next window while the ones taken hold fewer entries after `afterId` than fit.
    while (nextFirstId !== undefined && takenAfter() < count) {
      const next = await this.#window(last + 1n);
      if (next?.largest === undefined) break;
      if (next.nextFirstId === undefined && last + 1n !== this.#positionWindow) break;
      const wider = Math.max(largest, next.largest);
      const widerCount = Math.min(most, Math.floor(budgetBytes / wider));
      if (widerCount < takenAfter()) break;
      last += 1n;
      largest = wider;
      count = widerCount;
      nextFirstId = next.nextFirstId;
    }
    return nextFirstId === undefined
      ? { count, end: this.#position, endExclusive: false }
      : { count, end: nextFirstId, endExclusive: true };
  }

  async #window(window: bigint): Promise<Window | undefined> {
    if (!this.#windows.has(window) && !this.#unreadable) await this.#fetchFrom(window);
    return this.#windows.get(window);
  }

  /**
   * Fetches windows from `window` on in one `HMGET`: each one's largest entry and first id, and
   * the first id of the one after the last. A complete window's record is final; the position's
   * holds, at least, every entry up to the position.
   */
  async #fetchFrom(window: bigint): Promise<void> {
    const fields: string[] = [];
    for (let n = 0n; n < BigInt(FETCHED_AT_ONCE); n++)
      fields.push(`${window + n}`, `${window + n}:first`);
    fields.push(`${window + BigInt(FETCHED_AT_ONCE)}:first`);
    let values: Array<string | undefined>;
    try {
      values = readTexts(await this.#connection.command(['HMGET', this.#key, ...fields]));
    } catch (error) {
      // A record Redis cannot read (a key of another type) is no record: the script reads.
      if (!isErrorReply(error)) throw error;
      this.#unreadable = true;
      return;
    }
    for (let n = 0; n < FETCHED_AT_ONCE; n++) {
      this.#windows.set(window + BigInt(n), {
        largest: sizeOf(values[2 * n]),
        firstId: idOf(values[2 * n + 1]),
        nextFirstId: idOf(values[2 * n + 3]),
      });
    }
  }
}

/** A recorded size: a positive integer, or `undefined` for anything else. */
function sizeOf(value: string | undefined): number | undefined {
  const size = Number(value);
  return value !== undefined && Number.isSafeInteger(size) && size > 0 ? size : undefined;
}

/** A recorded id: a hub id (`compareIds` takes it), or `undefined` for anything else. */
function idOf(value: string | undefined): string | undefined {
  return value !== undefined && isHubId(value) ? value : undefined;
}
