/**
 * The latest entry per key of latest-value topics: what a subscriber of such a topic is given
 * instead of a replay of its history. Used by `memoryHistory`; bounded by the number of keys.
 */
import type { HubEntry } from './broker.js';
import { compareIds } from './ids.js';

export class LatestEntries {
  /** Per topic, its keys' latest entries in the order they were set: id order. */
  readonly #topics = new Map<string, Map<string, HubEntry>>();

  /** Keeps `entry` (which has a key) in place of the previous entry of its topic and key. */
  set(entry: HubEntry): void {
    const key = entry.key as string;
    let keys = this.#topics.get(entry.topic);
    if (keys === undefined) {
      keys = new Map();
      this.#topics.set(entry.topic, keys);
    }
    // Deleted first, so the map's order stays the order of the latest updates.
    keys.delete(key);
    keys.set(key, entry);
  }

  /** The latest entry per key on `topics`, after `afterId` when given, oldest first. */
  snapshot(topics: ReadonlySet<string>, afterId: string | undefined): HubEntry[] {
    const found: HubEntry[] = [];
    for (const topic of topics) {
      const keys = this.#topics.get(topic);
      if (keys === undefined) continue;
      for (const entry of keys.values()) {
        if (afterId === undefined || compareIds(entry.id, afterId) > 0) found.push(entry);
      }
    }
    return topics.size > 1 ? found.sort((a, b) => compareIds(a.id, b.id)) : found;
  }
}
