import { invalidOption } from '../invalid-option.js';
import { HUNG_AFTER_MS } from '../read-deadline.js';
import type { RedisConnection } from './connection.js';
import { type IoredisClientLike, ioredisConnection, isIoredisClient } from './ioredis.js';
import {
  type IoredisClusterLike,
  ioredisClusterConnection,
  isIoredisCluster,
} from './ioredis-cluster.js';
import { isNodeRedisClient, type NodeRedisClientLike, nodeRedisConnection } from './node-redis.js';
import {
  isNodeRedisCluster,
  type NodeRedisClusterLike,
  nodeRedisClusterConnection,
} from './node-redis-cluster.js';

/**
 * A client the broker accepts: node-redis or ioredis (v5 or v6), of one Redis node or of a Redis
 * Cluster, or a {@link RedisConnection}.
 */
export type RedisClientLike =
  | NodeRedisClientLike
  | IoredisClientLike
  | NodeRedisClusterLike
  | IoredisClusterLike
  | RedisConnection;

/**
 * Wraps whichever client was passed.
 * @throws {TypeError} naming `field` when the value is none of the supported clients.
 */
export function toConnection(client: RedisClientLike, field: string): RedisConnection {
  if (isIoredisCluster(client)) {
    const cluster = checkScripting(client, 'call', field);
    const options = cluster.options as IoredisClusterLike['options'] | undefined;
    const prefix = options?.keyPrefix ?? options?.redisOptions?.keyPrefix;
    return ioredisClusterConnection(withoutKeyPrefix(cluster, prefix, field));
  }
  if (isNodeRedisCluster(client)) {
    return nodeRedisClusterConnection(checkScripting(client, 'sendCommand', field));
  }
  if (isNodeRedisSentinel(client)) throw sentinelRefused(field);
  if (isNodeRedisClient(client)) return nodeRedisConnection(client);
  if (isIoredisClient(client)) {
    return ioredisConnection(withoutKeyPrefix(client, client.options?.keyPrefix, field));
  }
  if (isConnection(client)) return client;
  throw invalidOption(
    `ssekit/redis: "${field}" must be a node-redis client (createClient() or createCluster() ` +
      'from "redis"), an ioredis client (new Redis() or new Redis.Cluster()), or a ' +
      'RedisConnection; got something else.',
  );
}

/**
 * The read loop's own connection, from `createReader()`. An ioredis client that times its
 * commands out (`commandTimeout`) before a blocking read can answer (`blockMs`, and the broker's
 * own deadline after it) would cut every quiet read short and report an outage each time.
 */
export function toReaderConnection(client: RedisClientLike, blockMs: number): RedisConnection {
  const timeout = isIoredisCluster(client)
    ? (client.options.redisOptions as { commandTimeout?: unknown } | undefined)?.commandTimeout
    : isIoredisClient(client)
      ? client.options?.commandTimeout
      : undefined;
  if (typeof timeout === 'number' && timeout <= blockMs + HUNG_AFTER_MS) {
    throw invalidOption(
      `ssekit/redis: the ioredis client "createReader()" returned has commandTimeout ${timeout} ms, ` +
        `which cuts short the read loop's blocking reads (blockMs ${blockMs} ms): every quiet read ` +
        "would fail. Create it without commandTimeout: a read that hangs meets the broker's own " +
        'deadline.',
    );
  }
  return toConnection(client, 'createReader()');
}

/**
 * ioredis adds a client's `keyPrefix` to the keys of some commands and not others (not to
 * `XINFO STREAM`), and the keys in XREAD's answer come back prefixed: the broker would deliver and
 * replay nothing. It names its keys itself, from its `key` option.
 */
function withoutKeyPrefix<Client>(client: Client, prefix: unknown, field: string): Client {
  if (prefix === undefined || prefix === '') return client;
  const shown = JSON.stringify(prefix);
  throw invalidOption(
    `ssekit/redis: the ioredis client passed as "${field}" has keyPrefix ${shown}, which ioredis ` +
      "adds to some of the broker's commands and not others: nothing would be delivered. Pass a " +
      "client without one (client.duplicate({ keyPrefix: '' })) and put the prefix in the " +
      `broker's "key" option instead (key: ${JSON.stringify(`${String(prefix)}events`)}).`,
  );
}

/**
 * A cluster client must send any command (the broker's append script is `EVALSHA`): a client
 * wrapped to expose only some commands cannot run it.
 */
function checkScripting<Client>(client: Client, method: string, field: string): Client {
  if (typeof (client as Record<string, unknown>)[method] === 'function') return client;
  throw invalidOption(
    `ssekit/redis: "${field}" is a Redis Cluster client without ${method}(), so the broker ` +
      'cannot run its append script (EVALSHA) through it. Pass the cluster client itself ' +
      '(createCluster() from "redis", or new Redis.Cluster() from "ioredis").',
  );
}

/**
 * node-redis's Sentinel client (`createSentinel()`) looks like a node-redis client (v6 has
 * `duplicate()` too) but takes `sendCommand(isReadonly, args)`, and after a failover sends a
 * command that met a dropped connection or `READONLY` again by itself (`maxCommandRediscovers`),
 * which would bypass the broker's one send at a time of a publish. Refused rather than half used.
 */
function isNodeRedisSentinel(client: unknown): boolean {
  const candidate = client as { getMasterNode?: unknown; acquire?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.getMasterNode === 'function' &&
    typeof candidate.acquire === 'function'
  );
}

function sentinelRefused(field: string): TypeError {
  return invalidOption(
    `ssekit/redis: "${field}" is a node-redis Sentinel client (createSentinel()), which the ` +
      'broker does not support: it sends a command again by itself when the primary changes, ' +
      'so a publish could be stored twice. Pass an ioredis client with sentinels ' +
      '(new Redis({ sentinels, name })), or a node-redis createClient() of the primary.',
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
