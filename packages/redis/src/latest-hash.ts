/**
 * The latest values of latest-value topics (`createHub({ latestValue })`): per stream, the hash
 * `<stream key>:latest`, one field per topic and key, written by the append script in the same
 * call as the entry's XADD. Its value is the JSON array `[stream id, field, value, ...]` of the
 * entry. A snapshot is read from it on any instance, so a client that reconnects anywhere gets
 * the latest value per key, not a replay of the stream.
 */
import { compareIds, type HubEntry, isHubId } from '@ssekit/core/broker';
import type { RedisConnection } from './connection/connection.js';
import { toHubEntry } from './entry-fields.js';
import { fromClientId, toClientId } from './partition-ids.js';
import type { PartitionLayout } from './partitions.js';

/** The hash beside the stream `key`: under its name, so in its hash slot, like its publish records. */
export function latestHashKey(key: string): string {
  return `${key}:latest`;
}

/**
 * The latest entry per key on `topics`, oldest first, after `afterId` in its partition when it
 * names one of this layout (else all of them: an id that cannot be placed is no position).
 */
export async function readSnapshot(
  connection: RedisConnection,
  layout: PartitionLayout,
  topics: ReadonlySet<string>,
  afterId: string | undefined,
): Promise<HubEntry[]> {
  const partitions = layout.keys.length;
  const after = afterId !== undefined && isHubId(afterId) ? fromClientId(afterId) : undefined;
  const found: HubEntry[] = [];
  for (const partition of new Set([...topics].map((topic) => layout.partitionOf(topic)))) {
    const key = latestHashKey(layout.keys[partition] as string);
    const since =
      after?.partitions === partitions && after.partition === partition
        ? after.streamId
        : undefined;
    const values = hashValues(await connection.command(['HGETALL', key]));
    for (const value of values) {
      const [id, ...flat] = JSON.parse(value) as string[];
      if (id === undefined || (since !== undefined && compareIds(id, since) <= 0)) continue;
      const fields = new Map<string, string>();
      for (let i = 0; i + 1 < flat.length; i += 2)
        fields.set(flat[i] as string, flat[i + 1] as string);
      const entry = toHubEntry({ id, fields }, toClientId(partitions, partition, id));
      if (entry !== undefined && topics.has(entry.topic)) found.push(entry);
    }
  }
  return found.sort((a, b) => compareIds(a.id, b.id));
}

/** The values of an `HGETALL` reply: a flat field-value array (RESP2) or a map (RESP3). */
function hashValues(reply: unknown): string[] {
  const decoder = new TextDecoder();
  const text = (value: unknown) =>
    typeof value === 'string' ? value : decoder.decode(value as Uint8Array);
  if (Array.isArray(reply)) return reply.filter((_, index) => index % 2 === 1).map(text);
  if (reply instanceof Map) return [...reply.values()].map(text);
  if (reply !== null && typeof reply === 'object') return Object.values(reply).map(text);
  return [];
}
