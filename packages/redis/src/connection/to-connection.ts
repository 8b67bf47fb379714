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
  if (isNodeRedisClient(client)) return nodeRedisConnection(client);
  if (isIoredisClient(client)) return ioredisConnection(client);
  if (isConnection(client)) return client;
  throw new TypeError(
    `ssekit/redis: "${field}" must be a node-redis client (createClient() from "redis"), an ` +
      'ioredis client (new Redis()), or a RedisConnection; got something else.',
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
