/**
 * Appending entries. The broker gives every entry an id whose second part is a counter of all
 * entries ever appended to the stream (`<redis ms>-<n>`), instead of Redis's per-millisecond
 * sequence. With that, "were entries lost between two ids?" is plain arithmetic: the entry after
 * `<ms>-<n>` must be numbered n + 1. Redis trims silently (XINFO does not record trimmed ids), so
 * without this a trimmed gap could not be told from no gap. One Lua script keeps the read of the
 * last id and the XADDs atomic. A new stream's counter starts from Redis's clock
 * (`COUNTS_PER_MS`), not from 1, so that the ids of a stream Redis lost (a restart without
 * persistence, a DEL) never count on into the new one's.
 *
 * One script call appends a whole batch (the publishes of one turn), so that they share one round
 * trip, and records, for a while, which of its entries it stored (see `APPEND`), in one key per
 * call beside the stream, `<stream key>:publish:<call key>`. A send marked as sent again names the
 * calls it was sent in before and its place in each; the script looks those up, and finding the
 * entry stored returns that id and stores nothing. So a publish sent again, because its reply was
 * lost, is stored once (see `publish.ts`). A first send looks nothing up. Each entry's XADD runs
 * under `pcall`: an entry Redis refuses is answered with its own error while the others of the
 * batch are stored.
 *
 * An entry of a latest-value topic (its last field is its `key`) also replaces its topic and
 * key's value in the hash `<stream key>:latest` (see `latest-hash.ts`), in the same call: a
 * snapshot never misses or outlives what the stream got. The hash is not trimmed: it holds one
 * value per topic and key.
 *
 * Every call also records the bytes of the largest entry it appended per window of counts, in
 * `<stream key>:sizes` (see `entry-sizes.ts`), so that replays read plain `XRANGE` pages bounded
 * in bytes.
 */
import { randomBytes } from 'node:crypto';
import { SsekitError } from '@ssekit/core';
import type { RedisConnection } from './connection/connection.js';
import { COUNTS_PER_MS } from './counted-ids.js';
import {
  DROPPED_AT_ONCE,
  entrySizesKey,
  KEPT_WINDOWS,
  SIZE_FLOOR,
  SIZE_WINDOW,
} from './entry-sizes.js';
import { latestHashKey } from './latest-hash.js';
import { script, scriptCall, sendScriptCall } from './run-script.js';

/** How much history the stream keeps. */
export interface Retention {
  /** `MAXLEN ~`: about this many entries (Redis trims whole nodes, so a few more may stay). */
  maxEvents: number | undefined;
  /** `MINID ~`: entries older than this many milliseconds (by Redis's clock) are trimmed. */
  maxAgeMs: number | undefined;
}

/** Prefix of a refused entry's reply element; ids start with a digit. */
const REFUSED = '!';

/**
 * One script call's publish record: `<ms>-<count> <marks>`, the milliseconds and the counter
 * before the call's first entry, then one mark per entry of the call, `1` where the call
 * appended it, `0` where it did not (refused, or stored before). The id of the call's `i`th entry
 * follows from these (its milliseconds, and the counter plus the `1`s up to it), so a resend finds
 * its id from its call and its place in it, and a first send writes no record of its own: one
 * `SET` per call of about a byte per entry, where a hash field per entry (its publish's key and
 * id) cost Redis more than the entry's XADD (figures in the README).
 *
 * ARGV: the retention (two, empty when unset) and how long records live, then per entry the
 * number of earlier sends to look up, a `KEYS` index and a place per earlier send (index 3 is this
 * call: an earlier entry of the same call), the number of field-value pairs, and the pairs, last,
 * so that the XADD unpacks them straight from ARGV.
 */
const APPEND = script(`
local key = KEYS[1]
-- Checked before anything is written: Redis does not undo a script's writes when a later command
-- fails, and a refused publish must have stored nothing.
local latest = redis.call('TYPE', KEYS[2])['ok']
if latest ~= 'none' and latest ~= 'hash' then
  return redis.error_reply('WRONGTYPE ' .. KEYS[2] .. ' holds a ' .. latest .. ', not the latest values of ' .. key)
end
local last = '0-0'
local newest = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
if newest[1] then
  last = newest[1][1]
elseif redis.call('EXISTS', key) == 1 then
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
  end
end
-- A new stream (none, or one that never had an entry) counts from a base of its own: a record
-- of an earlier one would misplace its counts.
local fresh = last == '0-0'
if fresh then redis.pcall('DEL', KEYS[4]) end
local dash = string.find(last, '-', 1, true)
local lastMs = tonumber(string.sub(last, 1, dash - 1))
local count = tonumber(string.sub(last, dash + 1))
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if ms < lastMs then ms = lastMs end
-- The count of the stream's first entry (1 for a stream begun by a version counting from 1).
-- A new stream's counts start from Redis's clock, ${COUNTS_PER_MS} a millisecond (COUNTS_PER_MS):
-- above those of any stream on the key before it, lost with its history (a restart without
-- persistence, a DEL), which would have to have appended that many entries a millisecond since
-- it began. Counted on from 1, its first entry kept after a trim could be the one right after a
-- lost id's count, and a resume or a read loop at that id would take it for the next entry, the
-- ones trimmed skipped without a reset. A multiple of the size window (SIZE_WINDOW), so its
-- windows start where a stream counted from 1 has them; its first entry, stamped with that very
-- millisecond, is known for the first by its id alone (counted-ids.ts). Exact as a Lua number
-- (below 2^53) until the year 2248.
local origin = 1
if fresh then
  count = ms * ${COUNTS_PER_MS}
  origin = count + 1
end
local prefix = string.format('%.0f-', ms)
local start = prefix .. string.format('%.0f', count)
local ids = {}
local marks = {}
local windows = {}
local largest = {}
local firsts = {}
local function earlier(record, place)
  if record == 3 then
    if marks[place] == '1' then return ids[place] end
    return false
  end
  local value = redis.call('GET', KEYS[record])
  if not value then return false end
  local space = string.find(value, ' ', 1, true)
  if string.sub(value, space + place, space + place) ~= '1' then return false end
  local before = string.sub(value, 1, space - 1)
  local at = string.find(before, '-', 1, true)
  local _, appended = string.gsub(string.sub(value, space + 1, space + place - 1), '1', '')
  return string.sub(before, 1, at) ..
    string.format('%.0f', tonumber(string.sub(before, at + 1)) + appended + 1)
end
local at = 4
local n = 0
while at <= #ARGV do
  n = n + 1
  local lookups = tonumber(ARGV[at])
  local pairs = tonumber(ARGV[at + 2 * lookups + 1])
  local first = at + 2 * lookups + 2
  local last = first + 2 * pairs - 1
  local stored = false
  for j = at + 1, at + 2 * lookups, 2 do
    if not stored then stored = earlier(tonumber(ARGV[j]), tonumber(ARGV[j + 1])) end
  end
  if stored then
    ids[n] = stored
    marks[n] = '0'
  else
    local added = redis.pcall('XADD', key, prefix .. string.format('%.0f', count + 1),
      unpack(ARGV, first, last))
    if type(added) == 'table' and added.err then
      ids[n] = '${REFUSED}' .. added.err
      marks[n] = '0'
    else
      count = count + 1
      local bytes = #added
      for i = first, last do bytes = bytes + #ARGV[i] end
      local window = math.floor(count / ${SIZE_WINDOW})
      if window ~= windows[#windows] then
        windows[#windows + 1] = window
        largest[#windows] = 0
      end
      if bytes > largest[#windows] then largest[#windows] = bytes end
      if count == math.max(origin, window * ${SIZE_WINDOW}) then firsts[#windows] = added end
      if ARGV[last - 1] == 'key' then
        local topic = ARGV[first + 1]
        local slot = string.len(topic) .. ':' .. topic .. ARGV[last]
        local value = { added }
        for i = first, last do value[#value + 1] = ARGV[i] end
        redis.call('HSET', KEYS[2], slot, cjson.encode(value))
      end
      ids[n] = added
      marks[n] = '1'
    end
  end
  at = last + 1
end
redis.call('SET', KEYS[3], start .. ' ' .. table.concat(marks), 'PX', ARGV[3])
-- The sizes record (entry-sizes.ts), under pcall: nothing here may fail the publish, and a
-- record Redis cannot keep only sends replays to the page script. A window's first entry drops
-- the windows that fell out of reach, from the oldest kept (\`oldest\`, trusted only as a count
-- up to this window, so that no value can make the loop long), a few at a time: those
-- \`maxEvents\` covers stay, and two more for what \`MAXLEN ~\` keeps beyond it. A window records
-- at least the floor, so that a call of entries no larger than that reads nothing.
local kept = ${KEPT_WINDOWS}
if ARGV[1] ~= '' then kept = math.ceil(tonumber(ARGV[1]) / ${SIZE_WINDOW}) + 2 end
for i = 1, #windows do
  local field = string.format('%.0f', windows[i])
  if firsts[i] then
    local reach = windows[i] - kept
    local oldest = math.max(math.floor(origin / ${SIZE_WINDOW}), reach - ${DROPPED_AT_ONCE})
    local named = redis.pcall('HGET', KEYS[4], 'oldest')
    if type(named) == 'string' and string.match(named, '^%d+$') and
        tonumber(named) <= windows[i] then
      oldest = tonumber(named)
    end
    local dropped = math.max(0, math.min(${DROPPED_AT_ONCE}, reach - oldest + 1))
    for k = 0, dropped - 1 do
      local name = string.format('%.0f', oldest + k)
      redis.pcall('HDEL', KEYS[4], name, name .. ':first')
    end
    local keptFrom = string.format('%.0f', oldest + dropped)
    redis.pcall('HSET', KEYS[4], field .. ':first', firsts[i], 'oldest', keptFrom)
  end
  if firsts[i] or largest[i] > ${SIZE_FLOOR} then
    local recorded = redis.pcall('HGET', KEYS[4], field)
    local size = recorded == false and 0 or tonumber(recorded)
    local bytes = math.max(largest[i], ${SIZE_FLOOR})
    if size ~= nil and size < bytes then redis.pcall('HSET', KEYS[4], field, bytes) end
  end
end
-- After the writes, nothing may fail the script (the publish would read as refused): a trim
-- that errs is skipped, and one whose oldest id would be below zero is not asked.
if ARGV[1] ~= '' then
  redis.pcall('XTRIM', key, 'MAXLEN', '~', ARGV[1])
end
if ARGV[2] ~= '' and ms > tonumber(ARGV[2]) then
  redis.pcall('XTRIM', key, 'MINID', '~', string.format('%.0f-0', ms - tonumber(ARGV[2])))
end
return ids
`);

/** One send of a publish: the record of the script call it went in, and its place in that call. */
export interface Send {
  readonly record: string;
  /** 1 for the call's first entry. */
  readonly place: number;
}

/** A publish, the same for every time it is sent, and how long Redis remembers its sends. */
export interface PublishKey {
  /** How long, in milliseconds, a send of it can be looked up by a later one. */
  rememberMs: number;
  /** The sends made so far (set by `appendEntries`). */
  sentIn?: Send[];
}

/** One entry to append: its field-value pairs and the publish it belongs to. */
export interface Append {
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly publish: PublishKey;
  /** Sent before (its reply was lost): the script returns the id an earlier send stored, if any. */
  readonly resent?: boolean;
}

/**
 * Appends the entries in order with their counted ids, trimming as `retention` says, in one
 * script call. Resolves to one outcome per entry: its id (or the id an earlier send of its
 * publish stored; then nothing was appended), or the `Error` Redis refused that entry with.
 * Rejects when the call itself failed (no reply, or Redis refused the whole script). Uses EVALSHA
 * and falls back to EVAL once when the server does not have the script yet. Every entry of a
 * batch must share one `rememberMs`.
 */
export async function appendEntries(
  connection: RedisConnection,
  key: string,
  appends: readonly Append[],
  retention: Retention,
): Promise<Array<string | Error>> {
  const record = publishRecordKey(key, nextCallKey());
  const keys = [key, latestHashKey(key), record, entrySizesKey(key)];
  for (const { publish, resent } of appends) {
    if (resent !== true) continue;
    for (const earlier of publish.sentIn ?? []) {
      if (!keys.includes(earlier.record)) keys.push(earlier.record);
    }
  }
  // The command is built in one array, in place, as the client takes it: a turn's is thousands of
  // arguments long.
  const command = scriptCall(APPEND, keys);
  command.push(
    retention.maxEvents === undefined ? '' : String(retention.maxEvents),
    retention.maxAgeMs === undefined ? '' : String(retention.maxAgeMs),
    String(appends[0]?.publish.rememberMs ?? 0),
  );
  let place = 0;
  for (const { fields, publish, resent } of appends) {
    place += 1;
    if (resent === true && publish.sentIn !== undefined) {
      command.push(String(publish.sentIn.length));
      for (const earlier of publish.sentIn) {
        command.push(String(keys.indexOf(earlier.record) + 1), String(earlier.place));
      }
    } else {
      command.push('0');
    }
    command.push(String(fields.length));
    for (const [field, value] of fields) command.push(field, value);
    publish.sentIn ??= [];
    publish.sentIn.push({ record, place });
  }
  return readOutcomes(await sendScriptCall(connection, APPEND, command), appends.length);
}

/** Where one script call records its publishes: beside its stream, in the same hash slot. */
export function publishRecordKey(key: string, callKey: string): string {
  return `${key}:publish:${callKey}`;
}

/** This process's random prefix (drawn once) and a count: one record key per script call. */
const PROCESS_KEY = randomBytes(9).toString('base64url');
let calls = 0;

function nextCallKey(): string {
  calls += 1;
  return `${PROCESS_KEY}${calls.toString(36)}`;
}

const utf8 = new TextDecoder();

function readOutcomes(reply: unknown, expected: number): Array<string | Error> {
  if (!Array.isArray(reply) || reply.length !== expected) {
    throw new SsekitError(
      'ERR_SSE_UNEXPECTED_REPLY',
      `ssekit/redis: unexpected reply from the append script (expected ${expected} ids).`,
    );
  }
  return reply.map((element: unknown) => {
    const text = typeof element === 'string' ? element : utf8.decode(element as Uint8Array);
    return text.startsWith(REFUSED) ? new Error(text.slice(REFUSED.length)) : text;
  });
}
