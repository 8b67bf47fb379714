/**
 * The default history: a ring buffer of the latest entries, bounded by count and optionally by
 * age. Memory never grows past `maxEvents` entries, whatever the publish rate. Entries of
 * latest-value topics (those with a `key`) are kept apart, one per topic and key.
 */

import { checkKnownKeys, positiveInteger } from '../checks.js';
import type { HubEntry } from './broker.js';
import type { History } from './history.js';
import { compareIds } from './ids.js';
import { LatestEntries } from './latest-entries.js';

/**
 * Options of {@link memoryHistory}. Neither bounds latest-value topics: their entries are kept
 * one per topic and key until a newer one replaces it, so their memory is bounded by the number
 * of keys, and a dashboard that connects gets every key's value however old.
 */
export interface MemoryHistoryOptions {
  /** The most entries of plain topics kept, all topics together. Default 1000. */
  maxEvents?: number;
  /** Entries of plain topics older than this many milliseconds are dropped. Default: kept until pushed out by count. */
  maxAgeMs?: number;
}

const DEFAULT_MAX_EVENTS = 1000;

/**
 * An in-process {@link History}: the last `maxEvents` entries (and, with `maxAgeMs`, only the
 * recent ones). A client whose `Last-Event-ID` fell out of it gets the hub's reset signal.
 * @throws {TypeError} when an option is not a positive whole number.
 */
export function memoryHistory(options: MemoryHistoryOptions = {}): History {
  checkKnownKeys('memoryHistory', options, ['maxEvents', 'maxAgeMs']);
  return new MemoryHistory(
    positiveInteger('maxEvents', options.maxEvents, { owner: 'memoryHistory' }) ??
      DEFAULT_MAX_EVENTS,
    positiveInteger('maxAgeMs', options.maxAgeMs, { owner: 'memoryHistory' }),
  );
}

class MemoryHistory implements History {
  readonly #entries: Array<HubEntry | undefined>;
  readonly #times: number[];
  readonly #maxAgeMs: number | undefined;
  #head = 0;
  #size = 0;
  /** The newest evicted id: a replay from before it would have a gap. */
  #evictedUpTo: string | undefined;
  readonly #latest = new LatestEntries();

  constructor(maxEvents: number, maxAgeMs: number | undefined) {
    this.#entries = new Array(maxEvents).fill(undefined);
    this.#times = new Array(maxEvents).fill(0);
    this.#maxAgeMs = maxAgeMs;
  }

  append(entry: HubEntry): void {
    if (entry.key !== undefined) {
      this.#latest.set(entry);
      return;
    }
    this.#evictExpired();
    const capacity = this.#entries.length;
    if (this.#size === capacity) this.#evictOldest();
    const slot = (this.#head + this.#size) % capacity;
    this.#entries[slot] = entry;
    this.#times[slot] = this.#maxAgeMs === undefined ? 0 : Date.now();
    this.#size += 1;
  }

  entriesAfter(afterId: string, topics: ReadonlySet<string>): readonly HubEntry[] | undefined {
    this.#evictExpired();
    if (this.#evictedUpTo !== undefined && compareIds(afterId, this.#evictedUpTo) < 0) {
      return undefined;
    }
    const found: HubEntry[] = [];
    for (let index = this.#firstAfter(afterId); index < this.#size; index++) {
      const entry = this.#at(index);
      if (topics.has(entry.topic)) found.push(entry);
    }
    return found;
  }

  latest(topics: ReadonlySet<string>, afterId: string | undefined): readonly HubEntry[] {
    return this.#latest.snapshot(topics, afterId);
  }

  /** The position of the first entry whose id is above `afterId` (binary search: ids ascend). */
  #firstAfter(afterId: string): number {
    let low = 0;
    let high = this.#size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareIds(this.#at(middle).id, afterId) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #at(index: number): HubEntry {
    return this.#entries[(this.#head + index) % this.#entries.length] as HubEntry;
  }

  #evictExpired(): void {
    if (this.#maxAgeMs === undefined) return;
    const oldestKept = Date.now() - this.#maxAgeMs;
    while (this.#size > 0 && (this.#times[this.#head] as number) < oldestKept) this.#evictOldest();
  }

  #evictOldest(): void {
    this.#evictedUpTo = this.#at(0).id;
    this.#entries[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#entries.length;
    this.#size -= 1;
  }
}
