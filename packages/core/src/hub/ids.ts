import { inputError } from '../errors.js';

/**
 * Hub ids have the Redis stream id form `<ms>-<seq>`: two non-negative integers of any size,
 * ordered numerically, first part then second. Kept as strings: no BigInt, no precision loss.
 */

const ID = /^(\d{1,20})-(\d{1,20})$/;

/** `true` when `id` has the `<ms>-<seq>` form of a hub id. */
export function isHubId(id: string): boolean {
  return ID.test(id);
}

/**
 * Orders two hub ids: negative when `a` comes first, 0 when equal, positive when `a` comes after.
 * @throws {TypeError} when either is not of the `<ms>-<seq>` form (check with {@link isHubId}).
 */
export function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = parts(a);
  const [bMs, bSeq] = parts(b);
  return compareDigits(aMs, bMs) || compareDigits(aSeq, bSeq);
}

function parts(id: string): [string, string] {
  const match = ID.exec(id);
  if (match === null) {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: "${id}" is not a hub id; ids have the form <ms>-<seq>, like 1700000000000-3.`,
    );
  }
  return [stripZeros(match[1] as string), stripZeros(match[2] as string)];
}

function stripZeros(digits: string): string {
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++;
  return start === 0 ? digits : digits.slice(start);
}

function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
