/**
 * A node-redis cluster client (`createCluster()`) as a {@link RedisConnection}. The cluster client
 * routes each command to the master of its key's slot and follows `MOVED` and `ASK` itself; it
 * does not wait out `TRYAGAIN` (a multi-key command during a slot migration) or `CLUSTERDOWN` (a
 * failover in progress), which Redis answers without running the command, so this sends those
 * again after a pause, for up to 10 s. Nor does node-redis 5 follow a failover
 * to a replica by itself: a command that fails on a node's connection makes it read the topology
 * again (`node-redis-rediscovery.ts`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { withinDeadline } from '../read-deadline.js';
import type { RedisConnection } from './connection.js';
import { firstKeyOf } from './first-key.js';
import { rediscoverOnFailure } from './node-redis-rediscovery.js';

/**
 * The parts of a node-redis v5 or v6 cluster client (`createCluster()` from `redis`) the broker
 * uses. Declared here so that `@ssekit/redis` needs no Redis client at build or run time.
 */
export interface NodeRedisClusterLike {
  readonly isOpen: boolean;
  readonly masters: readonly unknown[];
  nodeClient(node: never): unknown;
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>;
  duplicate(overrides?: {
    minimizeConnections?: boolean;
    defaults?: Record<string, unknown>;
  }): NodeRedisClusterLike;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** `true` when `client` looks like a node-redis cluster client. */
export function isNodeRedisCluster(client: unknown): client is NodeRedisClusterLike {
  const candidate = client as Partial<NodeRedisClusterLike> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.nodeClient === 'function' &&
    'masters' in candidate
  );
}

/** Redis answered without running the command: sending it again is safe. */
const NOT_RUN = /^(TRYAGAIN|CLUSTERDOWN)\b/;
const PAUSE_MS = 100;
/**
 * How long a command answered so is sent again: a slot's migration lasts as long as moving its
 * keys (the stream and every publish record of the last 30 s), and a failover until the replica
 * is promoted; as long as a publish waits for its connection to come back (`publish.ts`).
 */
const NOT_RUN_WAIT_MS = 10_000;
/**
 * How long a command of a read loop's connection waits for the connection to its slot's node.
 * That client (`minimizeConnections`) opens a node's connection on the first command for it, and
 * node-redis (5 and 6) waits for it with no bound: to a node that died while still owning the
 * slot in the topology the client read, it retries connecting for ever, so the command (the
 * loop's blocking read) never settles, never fails, and nothing reads the topology again: the
 * loop is silent for good, even once the replica has taken over. Past this wait the command
 * fails, unsent, and the failure reads the topology again (`node-redis-rediscovery.ts`).
 */
const NODE_CONNECT_MS = 2_000;

/**
 * Wraps a node-redis v5 or v6 cluster client. Its duplicates (the broker's own connections) do not
 * queue commands on a node connection that is reconnecting. The broker's connection for publish
 * and replay (a duplicate of the application's client) connects to every master at once, so that
 * a partition's read start is on the wire at once, ahead of any publish asked for after it; a read
 * loop's (a duplicate of that one) connects to its partition's master only.
 */
export function nodeRedisClusterConnection(client: NodeRedisClusterLike): RedisConnection {
  return wrap(client, false);
}

function wrap(client: NodeRedisClusterLike, minimal: boolean, lazy = false): RedisConnection {
  /** v5 is open as soon as connect() is called, before it knows the slots: until then, not ready. */
  let discovering = false;
  const rediscovery = rediscoverOnFailure(client);
  return {
    isCluster: true,
    get isReady() {
      const ready = (client as { isReady?: boolean }).isReady;
      return ready ?? (client.isOpen && !discovering);
    },
    async command(args) {
      const key = firstKeyOf(args);
      const giveUpAt = performance.now() + NOT_RUN_WAIT_MS;
      for (;;) {
        try {
          if (lazy && key !== undefined) await nodeConnected(client, key);
          return await client.sendCommand(key, false, [...args]);
        } catch (error) {
          rediscovery.failed(error);
          const notRun = error instanceof Error && NOT_RUN.test(error.message);
          if (!notRun || performance.now() >= giveUpAt) throw error;
          await sleep(PAUSE_MS);
        }
      }
    },
    onError(listener) {
      client.on('error', listener);
      return () => client.off('error', listener);
    },
    duplicate() {
      const defaults = (client as { _options?: { defaults?: Record<string, unknown> } })._options
        ?.defaults;
      return wrap(
        client.duplicate({
          minimizeConnections: minimal,
          defaults: { ...defaults, disableOfflineQueue: true },
        }),
        true,
        minimal,
      );
    },
    connect() {
      if (client.isOpen) return;
      discovering = true;
      client
        .connect()
        .catch(() => {})
        .finally(() => {
          discovering = false;
        });
    },
    destroy() {
      if (client.isOpen) client.destroy();
      // What a topology read still running connects to, it connects after this: close it too.
      void rediscovery.running?.then(() => client.destroy());
    },
  };
}

/**
 * Resolves once the connection to the node serving `key` is made (opening it if need be), through
 * node-redis's slot map (`_slots.getClientAndSlotNumber`, in 5 and 6; where it is missing, at
 * once); rejects after `NODE_CONNECT_MS` without it.
 */
async function nodeConnected(client: NodeRedisClusterLike, key: string): Promise<void> {
  const slots = (client as { _slots?: { getClientAndSlotNumber?: unknown } })._slots;
  if (typeof slots?.getClientAndSlotNumber !== 'function') return;
  const connected = (
    slots.getClientAndSlotNumber as (key: string, isReadonly: boolean) => Promise<unknown>
  ).call(slots, key, false);
  // A plain Error, not a HungReadError: the failure must read the topology again, not replace
  // the read loop's connection.
  await withinDeadline(
    connected,
    NODE_CONNECT_MS,
    () =>
      new Error(
        `ssekit/redis: no connection to the Redis Cluster node serving "${key}" within ` +
          `${NODE_CONNECT_MS} ms`,
      ),
  );
}
