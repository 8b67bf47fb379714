/**
 * Appending entries. The broker gives every entry an id whose second part is a counter of all
 * entries ever appended to the stream (`<redis ms>-<n>`), instead of Redis's per-millisecond
 * sequence. With that, "were entries lost between two ids?" is plain arithmetic: the entry after
 * `<ms>-<n>` must be numbered n + 1. Redis trims silently (XINFO does not record trimmed ids), so
 * without this a trimmed gap could not be told from no gap. One Lua script keeps the read of the
 * last id and the XADDs atomic.
 *
 * One script call appends a whole batch (the publishes of one turn), so that they share one round
 * trip. Each entry carries its publish's key (unique, one per publish). The script remembers the
 * keys of a call with their entries' ids for a while, in one hash per call,
 * `<stream key>:publish:<call key>` (one record per call, not per entry: a `SET` per entry was
 * about a third of Redis's CPU per event; Redis 7.0 has no per-field expiry, hence one hash per
 * call). A send marked as sent again looks its key up in the records of the calls it was sent in
 * before; finding it returns that id and stores nothing. So a publish sent again, because its
 * reply was lost, is stored once (see `publish.ts`). A first send's key was never used, so it is
 * not looked up. Each entry's XADD
 * runs under `pcall`: an entry Redis refuses is answered with its own error while the others of
 * the batch are stored.
 *
 * An entry of a latest-value topic (its last field is its `key`) also replaces its topic and
 * key's value in the hash `<stream key>:latest` (see `latest-hash.ts`), in the same call: a
 * snapshot never misses or outlives what the stream got. The hash is not trimmed: it holds one
 * value per topic and key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SsekitError } from '@ssekit/core';
import type { RedisConnection } from './connection/connection.js';
import { latestHashKey } from './latest-hash.js';

/** How much history the stream keeps. */
export interface Retention {
  /** `MAXLEN ~`: about this many entries (Redis trims whole nodes, so a few more may stay). */
  maxEvents: number | undefined;
  /** `MINID ~`: entries older than this many milliseconds (by Redis's clock) are trimmed. */
  maxAgeMs: number | undefined;
}

/** Prefix of a refused entry's reply element; ids start with a digit. */
const REFUSED = '!';

/** Field-value pairs of the publish record per `HSET` (Lua's `unpack` is bounded by its stack). */
const RECORD_CHUNK = 1000;

const SCRIPT = `
local key = KEYS[1]
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
local dash = string.find(last, '-', 1, true)
local lastMs = tonumber(string.sub(last, 1, dash - 1))
local count = tonumber(string.sub(last, dash + 1))
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if ms < lastMs then ms = lastMs end
local ids = {}
local recorded = {}
local record = {}
local at = 4
while at <= #ARGV do
  local lookups = tonumber(ARGV[at])
  local publishKey = ARGV[at + lookups + 1]
  local pairs = tonumber(ARGV[at + lookups + 2])
  local first = at + lookups + 3
  local last = at + lookups + 2 + 2 * pairs
  local stored = recorded[publishKey] or false
  for j = 1, lookups do
    if not stored then stored = redis.call('HGET', KEYS[tonumber(ARGV[at + j])], publishKey) end
  end
  if stored then
    ids[#ids + 1] = stored
  else
    local args = { 'XADD', key, string.format('%.0f-%.0f', ms, count + 1) }
    for i = first, last do args[#args + 1] = ARGV[i] end
    local added = redis.pcall(unpack(args))
    if type(added) == 'table' and added.err then
      ids[#ids + 1] = '${REFUSED}' .. added.err
    else
      count = count + 1
      if ARGV[last - 1] == 'key' then
        local topic = ARGV[first + 1]
        local slot = string.len(topic) .. ':' .. topic .. ARGV[last]
        local value = { added }
        for i = first, last do value[#value + 1] = ARGV[i] end
        redis.call('HSET', KEYS[2], slot, cjson.encode(value))
      end
      recorded[publishKey] = added
      record[#record + 1] = publishKey
      record[#record + 1] = added
      ids[#ids + 1] = added
    end
  end
  at = last + 1
end
for i = 1, #record, ${RECORD_CHUNK} do
  redis.call('HSET', KEYS[3], unpack(record, i, math.min(i + ${RECORD_CHUNK} - 1, #record)))
end
if #record > 0 then redis.call('PEXPIRE', KEYS[3], ARGV[3]) end
if ARGV[1] ~= '' then
  redis.call('XTRIM', key, 'MAXLEN', '~', ARGV[1])
end
if ARGV[2] ~= '' then
  redis.call('XTRIM', key, 'MINID', '~', string.format('%.0f-0', ms - tonumber(ARGV[2])))
end
return ids
`;

const SHA = createHash('sha1').update(SCRIPT).digest('hex');

/** Which publish an append belongs to, and how long Redis remembers that it was stored. */
export interface PublishKey {
  /** Random, one per publish, the same for every time that publish is sent. */
  key: string;
  /** How long, in milliseconds, an append with the same key returns the stored id. */
  rememberMs: number;
  /** The publish records of the script calls this publish was sent in (set by `appendEntries`). */
  sentIn?: string[];
}

/** One entry to append: its field-value pairs and the publish it belongs to. */
export interface Append {
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly publish: PublishKey;
  /** Sent before (its reply was lost): the script returns the id stored under its key, if any. */
  readonly resent?: boolean;
}

/**
 * Appends the entries in order with their counted ids, trimming as `retention` says, in one
 * script call. Resolves to one outcome per entry: its id (or the id already stored under its
 * publish key; then nothing was appended), or the `Error` Redis refused that entry with. Rejects
 * when the call itself failed (no reply, or Redis refused the whole script). Uses EVALSHA and
 * falls back to EVAL once when the server does not have the script yet. Every entry of a batch
 * must share one `rememberMs`.
 */
export async function appendEntries(
  connection: RedisConnection,
  key: string,
  appends: readonly Append[],
  retention: Retention,
): Promise<Array<string | Error>> {
  const record = publishRecordKey(key, nextCallKey());
  const keys = [key, latestHashKey(key), record];
  const args = [
    retention.maxEvents === undefined ? '' : String(retention.maxEvents),
    retention.maxAgeMs === undefined ? '' : String(retention.maxAgeMs),
    String(appends[0]?.publish.rememberMs ?? 0),
  ];
  for (const { fields, publish, resent } of appends) {
    const lookups = resent === true ? (publish.sentIn ?? []) : [];
    args.push(String(lookups.length));
    for (const earlier of lookups) {
      const at = keys.indexOf(earlier);
      args.push(String(at === -1 ? keys.push(earlier) : at + 1));
    }
    args.push(publish.key, String(fields.length));
    for (const [field, value] of fields) args.push(field, value);
  }
  for (const { publish } of appends) {
    publish.sentIn ??= [];
    if (!publish.sentIn.includes(record)) publish.sentIn.push(record);
  }
  const tail = [String(keys.length), ...keys, ...args];
  let reply: unknown;
  try {
    reply = await connection.command(['EVALSHA', SHA, ...tail]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    reply = await connection.command(['EVAL', SCRIPT, ...tail]);
  }
  return readOutcomes(reply, appends.length);
}

/** Where one script call remembers its publishes: beside its stream, in the same hash slot. */
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

function readOutcomes(reply: unknown, expected: number): Array<string | Error> {
  if (!Array.isArray(reply) || reply.length !== expected) {
    throw new SsekitError(
      'ERR_SSE_UNEXPECTED_REPLY',
      `ssekit/redis: unexpected reply from the append script (expected ${expected} ids).`,
    );
  }
  return reply.map((element: unknown) => {
    const text =
      typeof element === 'string' ? element : new TextDecoder().decode(element as Uint8Array);
    return text.startsWith(REFUSED) ? new Error(text.slice(REFUSED.length)) : text;
  });
}
