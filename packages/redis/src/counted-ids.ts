/**
 * The broker's ids are `<ms>-<n>` where `n` counts every entry ever appended to the stream, from
 * a base taken from Redis's clock when the stream began (see `append-script.ts`). Whether
 * anything was lost between two positions is then arithmetic.
 */

/**
 * A new stream's counts start from Redis's clock, this many a millisecond (`append-script.ts`):
 * its first entry, stamped with the millisecond its count was taken from, counts
 * `<ms> × COUNTS_PER_MS + 1`. A stream begun by a version before this one counts from 1.
 */
export const COUNTS_PER_MS = 1024;

/** The entry counter of an id (`42n` for `1700000000000-42`), exact up to Redis's 2^64 - 1. */
export function countOf(id: string): bigint {
  return BigInt(counter(id));
}

/**
 * `true` when `next` is the entry right after position `previous`: nothing lies between. Counters
 * below 2^53 (every count of a stream begun by this version, which starts at 16 digits from
 * Redis's clock: `append-script.ts`) are compared as numbers, which the read loop does for every
 * entry; a decimal at or above 2^53 reads as a number at or above it, never as a safe integer,
 * so larger ones, where numbers round, use BigInt.
 */
export function follows(next: string, previous: string): boolean {
  const nextCount = counter(next);
  const previousCount = counter(previous);
  const nextNumber = Number(nextCount);
  const previousNumber = Number(previousCount);
  if (Number.isSafeInteger(nextNumber) && Number.isSafeInteger(previousNumber)) {
    if (nextNumber === previousNumber + 1) return true;
  } else if (BigInt(nextCount) === BigInt(previousCount) + 1n) return true;
  // A count of 0 is the position before a stream's first entry (`0-0`: no stream yet).
  return previousNumber === 0 && isFirstEntry(next);
}

/**
 * `true` when `id` is the first entry of its stream: its count is the one its stream started
 * from, 1 or that of the millisecond it is stamped with. A later entry could only count so if its
 * stream had appended `COUNTS_PER_MS` entries a millisecond since its first.
 */
function isFirstEntry(id: string): boolean {
  const count = countOf(id);
  return (
    count === 1n || count === BigInt(id.slice(0, id.indexOf('-'))) * BigInt(COUNTS_PER_MS) + 1n
  );
}

/**
 * The position just before `id`: everything after it, `id` first, is still to come. For a count
 * of 0 (not one of the broker's ids, whose counts start at 1) it is the last id of the previous
 * millisecond, the position Redis reads `id` after.
 */
export function positionBefore(id: string): string {
  const ms = id.slice(0, id.indexOf('-'));
  const count = countOf(id);
  if (count > 0n) return `${ms}-${count - 1n}`;
  const msBefore = BigInt(ms) - 1n;
  return msBefore < 0n ? '0-0' : `${msBefore}-${TOP}`;
}

/** The digits of an id's counter (`'42'` for `1700000000000-42`). */
function counter(id: string): string {
  return id.slice(id.indexOf('-') + 1);
}

/** Redis stream ids are two unsigned 64-bit numbers; an exclusive range cannot start at the top. */
const TOP = 2n ** 64n - 1n;

/**
 * `true` when `id` (a hub id: `<digits>-<digits>`) is a position Redis can read after: both parts
 * below 2^64 - 1. Redis rejects anything larger as a command error, and no entry ever comes after
 * the top id; neither can be one of the broker's ids, so the history cannot serve them.
 */
export function isReadablePosition(id: string): boolean {
  const dash = id.indexOf('-');
  return BigInt(id.slice(0, dash)) < TOP && BigInt(id.slice(dash + 1)) < TOP;
}
