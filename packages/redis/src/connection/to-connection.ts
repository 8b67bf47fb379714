import type { RedisConnection } from './connection.js';
import { type IoredisClientLike, ioredisConnection, isIoredisClient } from './ioredis.js';
import { isNodeRedisClient, type NodeRedisClientLike, nodeRedisConnection } from './node-redis.js';

/** A client the broker accepts: node-redis or ioredis (v5 or v6), or a {@link RedisConnection}. */
export type RedisClientLike = NodeRedisClientLike | IoredisClientLike | RedisConnection;

/**
 * Wraps whichever client was passed.
 * @throws {TypeError} naming `field` when the value is none of the supported clients.
 */
export function toConnection(client: RedisClientLike, field: string): RedisConnection {
  if (isClusterClient(client)) {
    throw Object.assign(
      new TypeError(
        `ssekit/redis: "${field}" is a Redis Cluster client (createCluster() or new Redis.Cluster()), ` +
          'which the broker does not support yet: its blocking read over several partitions is one ' +
          'multi-key XREAD, refused across slots. Pass a client of one Redis node (createClient() ' +
          'or new Redis()).',
      ),
      { code: 'ERR_SSE_INVALID_OPTION' },
    );
  }
  if (isNodeRedisClient(client)) return nodeRedisConnection(client);
  if (isIoredisClient(client)) return ioredisConnection(client);
  if (isConnection(client)) return client;
  throw Object.assign(
    new TypeError(
      `ssekit/redis: "${field}" must be a node-redis client (createClient() from "redis"), an ` +
        'ioredis client (new Redis()), or a RedisConnection; got something else.',
    ),
    { code: 'ERR_SSE_INVALID_OPTION' },
  );
}

/** ioredis marks its `Cluster` with `isCluster`; a node-redis cluster has `masters` and `nodeClient`. */
function isClusterClient(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { isCluster?: unknown; nodeClient?: unknown };
  return (
    candidate.isCluster === true ||
    (typeof candidate.nodeClient === 'function' && 'masters' in value)
  );
}

function isConnection(value: unknown): value is RedisConnection {
  const candidate = value as Partial<RedisConnection> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.command === 'function' &&
    typeof candidate.onError === 'function' &&
    typeof candidate.duplicate === 'function'
  );
}
