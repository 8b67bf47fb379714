/**
 * Sizing reads in bytes: Redis counts entries, while the memory a reply takes is their bytes.
 * The count for the next read comes from the size of the entries of the last one.
 */
import type { StreamEntry } from './replies.js';

/** The characters of the entries' ids, fields and values: about the bytes they hold. */
export function sizeOf(entries: readonly StreamEntry[]): number {
  let size = 0;
  for (const entry of entries) {
    size += entry.id.length;
    for (const [field, value] of entry.fields) size += field.length + value.length;
  }
  return size;
}

/** The count for the next read: about `budgetBytes` of entries like `last`, 1 to `maxCount`. */
export function nextCount(
  last: readonly StreamEntry[],
  budgetBytes: number,
  maxCount: number,
): number {
  const size = sizeOf(last);
  if (size === 0) return maxCount;
  return Math.max(1, Math.min(maxCount, Math.floor((budgetBytes * last.length) / size)));
}
