/**
 * Appending entries. The broker gives every entry an id whose second part is a counter of all
 * entries ever appended to the stream (`<redis ms>-<n>`), instead of Redis's per-millisecond
 * sequence. With that, "were entries lost between two ids?" is plain arithmetic: the entry after
 * `<ms>-<n>` must be numbered n + 1. Redis trims silently (XINFO does not record trimmed ids), so
 * without this a trimmed gap could not be told from no gap. One Lua script keeps the read of the
 * last id and the XADDs atomic.
 *
 * One script call appends a whole batch (the publishes of one turn), so that they share one round
 * trip. Each entry carries its publish's key (random, one per publish). The script remembers it
 * with the entry's id for a while, under `<stream key>:publish:<publish key>`; appending with a
 * key it remembers returns that id and stores nothing. So a publish sent again, because its reply
 * was lost, is stored once (see `publish.ts`). Only a send marked as sent again looks its key up:
 * a first send's key was never used, so the lookup could only find nothing. Each entry's XADD
 * runs under `pcall`: an entry Redis refuses is answered with its own error while the others of
 * the batch are stored.
 *
 * An entry of a latest-value topic (its last field is its `key`) also replaces its topic and
 * key's value in the hash `<stream key>:latest` (see `latest-hash.ts`), in the same call: a
 * snapshot never misses or outlives what the stream got. The hash is not trimmed: it holds one
 * value per topic and key.
 */
import { createHash } from 'node:crypto';
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
local at = 4
for k = 3, #KEYS do
  local pairs = tonumber(ARGV[at + 1])
  local first = at + 2
  local last = at + 1 + 2 * pairs
  local stored = false
  if ARGV[at] == '1' then stored = redis.call('GET', KEYS[k]) end
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
      redis.call('SET', KEYS[k], added, 'PX', ARGV[3])
      ids[#ids + 1] = added
    end
  end
  at = last + 1
end
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
  const keys = [key, latestHashKey(key)];
  const args = [
    retention.maxEvents === undefined ? '' : String(retention.maxEvents),
    retention.maxAgeMs === undefined ? '' : String(retention.maxAgeMs),
    String(appends[0]?.publish.rememberMs ?? 0),
  ];
  for (const { fields, publish, resent } of appends) {
    keys.push(publishRecordKey(key, publish.key));
    args.push(resent === true ? '1' : '0', String(fields.length));
    for (const [field, value] of fields) args.push(field, value);
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

/** Where the script remembers one publish: beside its stream, in the same hash slot. */
export function publishRecordKey(key: string, publishKey: string): string {
  return `${key}:publish:${publishKey}`;
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
