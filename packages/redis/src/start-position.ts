/**
 * Where reading a partition starts when a subscriber first needs it: before every entry appended
 * since the moment it was needed, by Redis's clock. Reading the stream's last id alone would be
 * too late: the read can wait behind the connection's earlier commands (a burst of publishes)
 * while another instance appends, and what it appended would be in neither the past nor what is
 * read from then on.
 *
 * Every entry's id carries Redis's clock when it was appended (`append-script.ts`, never behind
 * the stream's last id). So the read also asks Redis the time; whatever waited between the moment
 * the partition was needed and the reply, Redis's clock at that moment was at least its answer
 * minus that wait. Entries stamped from then on are read; the few stamped just before it too,
 * as with one stream, where a new subscriber gets what the read loop has not delivered yet.
 */
import type { RedisConnection } from './connection/connection.js';
import { positionBefore } from './counted-ids.js';
import { readEntries, readTimedPosition } from './replies.js';
import { runScript, script } from './run-script.js';

/**
 * Milliseconds added to the wait: Redis's clock is read to the millisecond, and it may run a
 * little faster than this process's over a long wait (NTP slews it by up to 0.05 %).
 */
const MARGIN_MS = 1;
const MARGIN_PER_MS_WAITED = 0.001;

/** Redis's time and the stream's last id, read at once. */
const TIMED_POSITION = script(`
local now = redis.call('TIME')
local last = '0-0'
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
  end
end
return { now[1], now[2], last }
`);

/**
 * The position after which every entry of `key` appended since `since` (a `performance.now()`
 * of this process) is still to come: an entry's id, or the position just before one.
 */
export async function positionSince(
  connection: RedisConnection,
  key: string,
  since: number,
): Promise<string> {
  const { redisMs, lastId: last } = readTimedPosition(
    await runScript(connection, TIMED_POSITION, [key], []),
  );
  const waited = performance.now() - since;
  const fromMs = redisMs - Math.ceil(waited * (1 + MARGIN_PER_MS_WAITED)) - MARGIN_MS;
  if (Number(last.slice(0, last.indexOf('-'))) < fromMs) return last;
  // Entries stamped from `fromMs` on may have come after the moment: start before the first.
  const start = `${Math.max(fromMs, 0)}-0`;
  const [before] = readEntries(
    await connection.command(['XREVRANGE', key, `(${start}`, '-', 'COUNT', '1']),
  );
  if (before !== undefined) return before.id;
  const [first] = readEntries(await connection.command(['XRANGE', key, start, '+', 'COUNT', '1']));
  return first === undefined ? last : positionBefore(first.id);
}
