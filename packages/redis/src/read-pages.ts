/**
 * Reads bounded in bytes. Redis counts entries (`XRANGE ... COUNT n`), while the memory a reply
 * takes is their bytes, and a count sized from earlier entries is wrong as soon as a large entry
 * follows small ones (500 entries of a few bytes, then 500 of 256 KiB: a 128 MB reply). So a
 * script reads each stream in steps of a few entries and stops before the entry that would take
 * the page past its budget: a page holds at most `budgetBytes` of entries, or one entry when that
 * entry alone is larger. While it runs, Redis holds at most one step more than it returns.
 */
import { SsekitError } from '@ssekit/core';
import type { RedisConnection } from './connection/connection.js';
import { readEntries, type StreamEntry } from './replies.js';
import { runScript, script } from './run-script.js';

/** Entries of one stream read after an id, and whether the read stopped before its end. */
export interface Page {
  readonly entries: StreamEntry[];
  /** The budget or the count stopped the read: more entries may follow. */
  readonly cut: boolean;
  /** The bytes of the entries' ids, fields and values. */
  readonly bytes: number;
}

/** Entries read at once inside the script: what Redis may hold beyond the page while it runs. */
const STEP = 16;

/**
 * KEYS: the streams. ARGV: the bytes each stream's page may hold, the most entries it may hold,
 * then for each stream the id its page starts after. Returns per stream
 * `{ cut, bytes, entries }`; an entry's bytes are those of its id, fields and values.
 */
const PAGES = script(`
local budget = tonumber(ARGV[1])
local most = tonumber(ARGV[2])
local pages = {}
for k = 1, #KEYS do
  local after = ARGV[2 + k]
  local entries = {}
  local size = 0
  local cut = 0
  local done = false
  while not done do
    if #entries >= most then
      cut = 1
      break
    end
    local want = math.min(${STEP}, most - #entries)
    local step = redis.call('XRANGE', KEYS[k], '(' .. after, '+', 'COUNT', want)
    for i = 1, #step do
      local entry = step[i]
      local bytes = #entry[1]
      for j = 1, #entry[2] do bytes = bytes + #entry[2][j] end
      if #entries > 0 and size + bytes > budget then
        cut = 1
        done = true
        break
      end
      entries[#entries + 1] = entry
      size = size + bytes
      after = entry[1]
    end
    if #step < want then done = true end
  end
  pages[k] = { cut, size, entries }
end
return pages
`);

/**
 * The entries of each of `streams` after its id, oldest first: per stream at most `maxCount`
 * entries and `budgetBytes` of them (or one entry larger than that). One round trip for all the
 * streams, which must share a node (and on a cluster, a hash slot).
 */
export async function readPages(
  connection: RedisConnection,
  streams: ReadonlyArray<readonly [key: string, afterId: string]>,
  budgetBytes: number,
  maxCount: number,
): Promise<Map<string, Page>> {
  const keys = streams.map(([key]) => key);
  const reply = await runScript(connection, PAGES, keys, [
    String(budgetBytes),
    String(maxCount),
    ...streams.map(([, afterId]) => afterId),
  ]);
  return readPageReply(reply, keys);
}

function readPageReply(reply: unknown, keys: readonly string[]): Map<string, Page> {
  if (!Array.isArray(reply) || reply.length !== keys.length) {
    throw unexpected(`expected ${keys.length} pages`);
  }
  const pages = new Map<string, Page>();
  keys.forEach((key, k) => {
    const page: unknown = reply[k];
    if (!Array.isArray(page) || page.length !== 3) {
      throw unexpected('a page is not [cut, bytes, entries]');
    }
    pages.set(key, {
      cut: Number(page[0]) === 1,
      bytes: Number(page[1]),
      entries: readEntries(page[2]),
    });
  });
  return pages;
}

function unexpected(what: string): SsekitError {
  return new SsekitError(
    'ERR_SSE_UNEXPECTED_REPLY',
    `ssekit/redis: unexpected reply from the page script (${what}).`,
  );
}
