/**
 * Reads bounded in bytes. Redis counts entries (`XRANGE ... COUNT n`), while the memory a reply
 * takes is their bytes, and a count sized from earlier entries is wrong as soon as a large entry
 * follows small ones (500 entries of a few bytes, then 500 of 256 KiB: a 128 MB reply). Where the
 * append script recorded how large the entries ahead can be (`entry-sizes.ts`), a plain `XRANGE`
 * asks for as many as fit the budget at that size, up to where the record ends. Elsewhere, and
 * where that would be only a few entries (one large entry among small ones), a script reads the
 * stream in steps of a few entries and stops before the entry that would take the page past its
 * budget. Either way a page holds at most `budgetBytes` of entries, or one entry when that entry
 * alone is larger. The script costs Redis several times the CPU of `XRANGE` per entry (it turns
 * each entry into Lua values and back); while it runs, Redis holds at most one step more than it
 * returns.
 */
import { SsekitError } from '@ssekit/core';
import type { RedisConnection } from './connection/connection.js';
import type { RecordedSizes } from './entry-sizes.js';
import { readEntries, type StreamEntry } from './replies.js';
import { runScript, script } from './run-script.js';

/** Entries of one stream read after an id, and whether the read stopped before its end. */
export interface Page {
  readonly entries: StreamEntry[];
  /** The budget or the count stopped the read: more entries may follow. */
  readonly cut: boolean;
}

/**
 * The fewest entries read with a plain `XRANGE`: when the record lets fewer fit, the script packs
 * the page fuller (the record holds each window's largest entry, not each entry's size).
 */
const PLAIN_AT_LEAST = 16;

/** Entries read at once inside the script: what Redis may hold beyond the page while it runs. */
const STEP = 16;

/**
 * KEYS: the stream. ARGV: the bytes the page may hold, the most entries it may hold, the id it
 * starts after. Returns `{ cut, entries }`; an entry's bytes are those of its id, fields and
 * values.
 */
const PAGE = script(`
local budget = tonumber(ARGV[1])
local most = tonumber(ARGV[2])
local after = ARGV[3]
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
  local step = redis.call('XRANGE', KEYS[1], '(' .. after, '+', 'COUNT', want)
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
return { cut, entries }
`);

/**
 * The entries of `key` after `afterId`, oldest first: at most `maxCount` entries and
 * `budgetBytes` of them (or one entry larger than that).
 */
export async function readPage(
  connection: RedisConnection,
  key: string,
  afterId: string,
  budgetBytes: number,
  maxCount: number,
  sizes: RecordedSizes,
): Promise<Page> {
  const plain = await sizes.plainRead(afterId, maxCount, budgetBytes);
  if (plain !== undefined && plain.count >= Math.min(PLAIN_AT_LEAST, maxCount)) {
    const { count, end, endExclusive } = plain;
    const entries = readEntries(
      await connection.command([
        'XRANGE',
        key,
        `(${afterId}`,
        endExclusive ? `(${end}` : end,
        'COUNT',
        String(count),
      ]),
    );
    // Stopped at a window's end or the position, more may follow; nothing there (a made-up id
    // past the entries of its window) is not the stream's end: the script reads on.
    if (entries.length > 0) return { entries, cut: true };
  }
  const reply = await runScript(
    connection,
    PAGE,
    [key],
    [String(budgetBytes), String(maxCount), afterId],
  );
  if (!Array.isArray(reply) || reply.length !== 2) {
    throw new SsekitError(
      'ERR_SSE_UNEXPECTED_REPLY',
      'ssekit/redis: unexpected reply from the page script (expected [cut, entries]).',
    );
  }
  return { cut: Number(reply[0]) === 1, entries: readEntries(reply[1]) };
}
