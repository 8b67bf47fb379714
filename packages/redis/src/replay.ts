/**
 * Replay from a client's `Last-Event-ID`: `XRANGE` pages after the id, filtered by topic, until
 * the page that reaches the live loop's cursor. Counted ids make every gap visible: the first
 * entry after the client's id must be numbered right after it, and so must every next one.
 *
 * Pages are bounded in bytes, not only in entries (`read-page.ts`): the hub holds a page while
 * its client reads, so a client that does not read holds at most one page of `REPLAY_PAGE_BYTES`
 * (or one entry, when that entry alone is larger).
 */
import { compareIds, type HubEntry, type ReplayPage } from '@ssekit/core/broker';
import { readPosition } from './commands.js';
import type { RedisConnection } from './connection/connection.js';
import { countOf, follows } from './counted-ids.js';
import { toHubEntry } from './entry-fields.js';
import { RecordedSizes } from './entry-sizes.js';
import { readPage } from './read-page.js';

/** The most bytes of entries one page holds (one entry larger than that is a page alone). */
export const REPLAY_PAGE_BYTES = 64 * 1024;

/**
 * One replay's inputs, on one stream (partition). `afterId` is a well-formed id of that stream;
 * `until` the loop's cursor there at the start (`undefined`: to the end).
 */
export interface ReplayRequest {
  connection: RedisConnection;
  key: string;
  afterId: string;
  topics: ReadonlySet<string>;
  until: string | undefined;
  /** The id clients see for an id of this stream. */
  clientId: (streamId: string) => string;
  /** The most entries one page holds, before topic filtering. */
  pageSize: number;
}

/**
 * Yields the entries after `afterId` on `topics`, oldest first, page by page; yields `'reset'`
 * and stops when an entry after `afterId` is no longer in the stream (trimmed, or the stream was
 * lost) or when `afterId` is beyond anything the stream ever held.
 */
export async function* replayAfter(request: ReplayRequest): AsyncIterable<ReplayPage> {
  const { connection, key, topics, until, pageSize, clientId } = request;
  let previous = request.afterId;
  // Read before the first page, so that an entry appended in between cannot make the client's
  // position look lost.
  const position = await readPosition(connection, key);
  const sizes = new RecordedSizes(connection, key, position);
  for (let first = true; ; first = false) {
    const { entries: page, cut } = await readPage(
      connection,
      key,
      previous,
      REPLAY_PAGE_BYTES,
      pageSize,
      sizes,
    );
    if (page.length === 0) {
      if (first && !isPosition(previous, position)) yield 'reset';
      return;
    }
    const entries: HubEntry[] = [];
    for (const raw of page) {
      if (!follows(raw.id, previous)) {
        if (entries.length > 0) yield entries;
        yield 'reset';
        return;
      }
      previous = raw.id;
      const entry = toHubEntry(raw, clientId(raw.id));
      if (entry !== undefined && topics.has(entry.topic)) entries.push(entry);
    }
    if (entries.length > 0) yield entries;
    if (!cut) return;
    if (until !== undefined && compareIds(previous, until) >= 0) return;
  }
}

/** With nothing after `id`: `true` when `id` is the stream's `position`, not a lost one. */
function isPosition(id: string, position: string): boolean {
  return countOf(position) === countOf(id) && compareIds(id, position) <= 0;
}
