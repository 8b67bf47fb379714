import type { RedisConnection } from './connection.js';

/**
 * The parts of a node-redis v5 or v6 client (`createClient()` from `redis` or `@redis/client`)
 * the broker uses. Declared here so that `@ssekit/redis` needs no Redis client at build or run
 * time.
 */
export interface NodeRedisClientLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(args: readonly string[]): Promise<unknown>;
  duplicate(overrides?: { disableOfflineQueue?: boolean }): NodeRedisClientLike;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** `true` when `client` looks like a node-redis client. */
export function isNodeRedisClient(client: unknown): client is NodeRedisClientLike {
  const candidate = client as Partial<NodeRedisClientLike> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.sendCommand === 'function' &&
    typeof candidate.duplicate === 'function' &&
    'isReady' in candidate
  );
}

/**
 * Wraps a node-redis v5 or v6 client. node-redis rejects the commands in flight when its socket
 * drops, and queues new ones while it reconnects, to send them whenever it is back. The broker's
 * own connections (duplicates) do not queue: a command the broker sends is answered, refused or
 * failed now, never run later behind its back.
 */
export function nodeRedisConnection(client: NodeRedisClientLike): RedisConnection {
  return {
    get isReady() {
      return client.isReady;
    },
    command: (args) => client.sendCommand(args),
    onError(listener) {
      client.on('error', listener);
      return () => client.off('error', listener);
    },
    duplicate: () => nodeRedisConnection(client.duplicate({ disableOfflineQueue: true })),
    connect() {
      // connect() retries with the client's reconnect strategy and rejects only when it gives
      // up; that failure is also emitted as 'error', which the broker listens to.
      if (!client.isOpen) client.connect().catch(() => {});
    },
    destroy() {
      if (client.isOpen) client.destroy();
    },
  };
}
