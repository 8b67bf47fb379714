/**
 * The broker's ids are `<ms>-<n>` where `n` counts every entry ever appended to the stream (see
 * `append-script.ts`). Whether anything was lost between two positions is then arithmetic.
 */

/** The entry counter of an id (`42n` for `1700000000000-42`), exact up to Redis's 2^64 - 1. */
export function countOf(id: string): bigint {
  return BigInt(counter(id));
}

/**
 * A counter of up to this many digits, and the one after it, are exact as numbers, so the read
 * loop compares them without a BigInt; longer ones (near 2^53, where numbers round) use BigInt.
 */
const EXACT_DIGITS = 15;

/** `true` when `next` is the entry right after position `previous`: nothing lies between. */
export function follows(next: string, previous: string): boolean {
  const nextCount = counter(next);
  const previousCount = counter(previous);
  if (nextCount.length <= EXACT_DIGITS && previousCount.length <= EXACT_DIGITS) {
    return Number(nextCount) === Number(previousCount) + 1;
  }
  return BigInt(nextCount) === BigInt(previousCount) + 1n;
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
