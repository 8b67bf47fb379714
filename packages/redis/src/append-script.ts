/**
 * Appending an entry. The broker gives every entry an id whose second part is a counter of all
 * entries ever appended to the stream (`<redis ms>-<n>`), instead of Redis's per-millisecond
 * sequence. With that, "were entries lost between two ids?" is plain arithmetic: the entry after
 * `<ms>-<n>` must be numbered n + 1. Redis trims silently (XINFO does not record trimmed ids), so
 * without this a trimmed gap could not be told from no gap. One Lua script keeps the read of the
 * last id and the XADD atomic.
 *
 * Each append also carries its publish's key (random, one per publish). The script remembers it
 * with the entry's id for a while, under `<stream key>:publish:<publish key>`; appending with a
 * key it remembers returns that id and stores nothing. So a publish sent again, because its reply
 * was lost, is stored once (see `publish.ts`).
 */
import { createHash } from 'node:crypto';
import type { RedisConnection } from './connection/connection.js';

/** How much history the stream keeps. */
export interface Retention {
  /** `MAXLEN ~`: about this many entries (Redis trims whole nodes, so a few more may stay). */
  maxEvents: number | undefined;
  /** `MINID ~`: entries older than this many milliseconds (by Redis's clock) are trimmed. */
  maxAgeMs: number | undefined;
}

const SCRIPT = `
local stored = redis.call('GET', KEYS[2])
if stored then return stored end
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
local lastCount = tonumber(string.sub(last, dash + 1))
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if ms < lastMs then ms = lastMs end
local args = { 'XADD', key }
if ARGV[1] ~= '' then
  args[#args + 1] = 'MAXLEN'
  args[#args + 1] = '~'
  args[#args + 1] = ARGV[1]
end
args[#args + 1] = string.format('%.0f-%.0f', ms, lastCount + 1)
for i = 4, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call(unpack(args))
redis.call('SET', KEYS[2], id, 'PX', ARGV[3])
if ARGV[2] ~= '' then
  redis.call('XTRIM', key, 'MINID', '~', string.format('%.0f-0', ms - tonumber(ARGV[2])))
end
return id
`;

const SHA = createHash('sha1').update(SCRIPT).digest('hex');

/** Which publish an append belongs to, and how long Redis remembers that it was stored. */
export interface PublishKey {
  /** Random, one per publish, the same for every time that publish is sent. */
  key: string;
  /** How long, in milliseconds, an append with the same key returns the stored id. */
  rememberMs: number;
}

/**
 * Appends one entry with its counted id, trimming as `retention` says; resolves to the id, or to
 * the id already stored under `publish.key` (then nothing is appended). Uses EVALSHA and falls
 * back to EVAL once when the server does not have the script yet.
 */
export async function appendEntry(
  connection: RedisConnection,
  key: string,
  fields: ReadonlyArray<readonly [string, string]>,
  retention: Retention,
  publish: PublishKey,
): Promise<string> {
  const args = [
    '2',
    key,
    `${key}:publish:${publish.key}`,
    retention.maxEvents === undefined ? '' : String(retention.maxEvents),
    retention.maxAgeMs === undefined ? '' : String(retention.maxAgeMs),
    String(publish.rememberMs),
  ];
  for (const [field, value] of fields) args.push(field, value);
  try {
    return String(await connection.command(['EVALSHA', SHA, ...args]));
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return String(await connection.command(['EVAL', SCRIPT, ...args]));
  }
}
