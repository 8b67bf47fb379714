/**
 * An ioredis cluster client (`new Redis.Cluster()`) as a {@link RedisConnection}. The cluster client
 * routes each command by its keys, follows `MOVED` and `ASK`, and waits out `TRYAGAIN` and
 * `CLUSTERDOWN` itself.
 */
import type { RedisConnection } from './connection.js';

/**
 * The parts of an ioredis v5 or v6 cluster client (`new Cluster()`) the broker uses. Declared
 * here so that `@ssekit/redis` needs no Redis client at build or run time.
 */
export interface IoredisClusterLike {
  readonly isCluster: boolean;
  readonly status: string;
  readonly options: { keyPrefix?: string; redisOptions?: Record<string, unknown> };
  call(command: string, ...args: string[]): Promise<unknown>;
  nodes(role: 'master'): ReadonlyArray<{ connect(): Promise<unknown> }>;
  duplicate(
    startupNodes?: unknown[],
    options?: { enableOfflineQueue?: boolean; redisOptions?: Record<string, unknown> },
  ): IoredisClusterLike;
  connect(): Promise<unknown>;
  disconnect(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** `true` when `client` is an ioredis cluster client (ioredis marks it with `isCluster`). */
export function isIoredisCluster(client: unknown): client is IoredisClusterLike {
  return (
    typeof client === 'object' &&
    client !== null &&
    (client as { isCluster?: unknown }).isCluster === true
  );
}

/**
 * ioredis 5 does not know which argument of `XINFO STREAM` is the key and sends it to any node;
 * a script declaring the key is sent to the key's master, in order with the publishes there.
 */
const XINFO_STREAM = "return redis.call('XINFO', 'STREAM', KEYS[1])";

/**
 * Wraps an ioredis v5 or v6 cluster client. Its duplicates (the broker's own connections) do not
 * send again the commands in flight when a node connection drops: they reject, and the broker
 * decides what to send again (see `ioredisConnection`), and commands sent while the cluster
 * client is not ready reject. A node connection is opened on its first command, which waits for it.
 */
export function ioredisClusterConnection(client: IoredisClusterLike): RedisConnection {
  return wrap(client, 'application');
}

/**
 * Whose client it is: the application's; the broker's connection for publish and replay
 * (duplicated from it), which opens its connection to every master as soon as it is ready, so
 * that a partition's read start is on the wire at once, ahead of any publish asked for after it;
 * or a read loop's (duplicated from the broker's), which connects to its partition's master only.
 */
type Role = 'application' | 'broker' | 'reader';

function wrap(client: IoredisClusterLike, role: Role): RedisConnection {
  return {
    isCluster: true,
    get isReady() {
      return client.status === 'ready';
    },
    command(args) {
      const [name, ...rest] = args as [string, ...string[]];
      if (name === 'XINFO' && rest[0] === 'STREAM') {
        return client.call('EVAL', XINFO_STREAM, '1', rest[1] as string);
      }
      return client.call(name, ...rest);
    },
    onError(listener) {
      client.on('error', listener);
      return () => client.off('error', listener);
    },
    duplicate: () =>
      wrap(
        client.duplicate([], {
          enableOfflineQueue: false,
          redisOptions: {
            ...client.options.redisOptions,
            autoResendUnfulfilledCommands: false,
            // A blocked XREAD waits `blockMs` on purpose; a hung one meets its read deadline.
            commandTimeout: undefined,
          },
        }),
        role === 'application' ? 'broker' : 'reader',
      ),
    connect() {
      if (client.status !== 'wait') return;
      client
        .connect()
        .then(() => {
          if (role === 'broker')
            for (const node of client.nodes('master')) node.connect().catch(() => {});
        })
        .catch(() => {});
    },
    destroy() {
      client.disconnect();
    },
  };
}
