/**
 * The seam between the in-process broker and its storage. `memoryHistory` (a bounded ring
 * buffer) is the default; any in-process store with the same two calls fits. A shared, durable
 * history is a {@link Broker} instead (see `@ssekit/redis`).
 */
import type { HubEntry } from './broker.js';

/** Keeps recent entries for replay. Both calls are synchronous: no event can slip between them. */
export interface History {
  /** Keeps one entry. Called once per published event, in id order. May evict older entries. */
  append(entry: HubEntry): void;
  /**
   * The retained entries after `afterId` (exclusive) on `topics`, oldest first; `undefined`
   * when entries after `afterId` may have been evicted, so a replay would have a gap.
   * Only called with ids the broker itself assigned, up to its latest.
   */
  entriesAfter(afterId: string, topics: ReadonlySet<string>): readonly HubEntry[] | undefined;
  /**
   * Optional; needed for latest-value topics. The latest entry per key on `topics` (entries that
   * have a `key`), oldest first; with `afterId`, only those after it. See `Broker.snapshot`.
   */
  latest?(topics: ReadonlySet<string>, afterId: string | undefined): readonly HubEntry[];
}
