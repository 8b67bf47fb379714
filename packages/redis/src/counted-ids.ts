/**
 * The broker's ids are `<ms>-<n>` where `n` counts every entry ever appended to the stream (see
 * `append-script.ts`). Whether anything was lost between two positions is then arithmetic.
 */

/** The entry counter of an id (`42` for `1700000000000-42`). */
export function countOf(id: string): number {
  return Number(id.slice(id.indexOf('-') + 1));
}

/** `true` when `next` is the entry right after position `previous`: nothing lies between. */
export function follows(next: string, previous: string): boolean {
  return countOf(next) === countOf(previous) + 1;
}

/** The position just before `id`: everything after it, `id` first, is still to come. */
export function positionBefore(id: string): string {
  const dash = id.indexOf('-');
  return `${id.slice(0, dash)}-${countOf(id) - 1}`;
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
