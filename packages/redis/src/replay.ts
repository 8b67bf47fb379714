/**
 * Replay from a client's `Last-Event-ID`: `XRANGE` pages after the id, filtered by topic, until
 * the page that reaches the live loop's cursor. Counted ids make every gap visible: the first
 * entry after the client's id must be numbered right after it, and so must every next one.
 */
import { compareIds, type HubEntry, type ReplayPage } from '@ssekit/core';
import { readPosition, readRange } from './commands.js';
import type { RedisConnection } from './connection/connection.js';
import { countOf, follows } from './counted-ids.js';
import { toHubEntry } from './entry-fields.js';

/** One replay's inputs. `afterId` is a well-formed id; `until` the loop's cursor at the start. */
export interface ReplayRequest {
  connection: RedisConnection;
  key: string;
  afterId: string;
  topics: ReadonlySet<string>;
  until: string | undefined;
  pageSize: number;
}

/**
 * Yields the entries after `afterId` on `topics`, oldest first, page by page; yields `'reset'`
 * and stops when an entry after `afterId` is no longer in the stream (trimmed, or the stream was
 * lost) or when `afterId` is beyond anything the stream ever held.
 */
export async function* replayAfter(request: ReplayRequest): AsyncIterable<ReplayPage> {
  const { connection, key, topics, until, pageSize } = request;
  let previous = request.afterId;
  for (let first = true; ; first = false) {
    const page = await readRange(connection, key, `(${previous}`, '+', pageSize);
    if (page.length === 0) {
      if (first && !(await isNewest(connection, key, previous))) yield 'reset';
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
      const entry = toHubEntry(raw);
      if (entry !== undefined && topics.has(entry.topic)) entries.push(entry);
    }
    if (entries.length > 0) yield entries;
    if (page.length < pageSize) return;
    if (until !== undefined && compareIds(previous, until) >= 0) return;
  }
}

/** With nothing after `id`: `true` when `id` is the stream's current position, not a lost one. */
async function isNewest(connection: RedisConnection, key: string, id: string): Promise<boolean> {
  const position = await readPosition(connection, key);
  return countOf(position) === countOf(id) && compareIds(id, position) <= 0;
}
