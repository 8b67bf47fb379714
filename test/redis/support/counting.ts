/**
 * A `RedisConnection` (the broker's public seam) that records every command sent on it and on
 * the connections duplicated from it, so a test can say which commands the broker sent.
 */
import type { RedisConnection } from '@ssekit/redis';

export interface CountingConnection {
  readonly connection: RedisConnection;
  /** Every command sent so far, in order, on this connection and its duplicates. */
  readonly commands: string[][];
}

export function countingConnection(inner: RedisConnection): CountingConnection {
  const commands: string[][] = [];
  const wrap = (connection: RedisConnection): RedisConnection => ({
    get isReady() {
      return connection.isReady;
    },
    command: (args) => {
      commands.push([...args]);
      return connection.command(args);
    },
    onError: (listener) => connection.onError(listener),
    duplicate: () => wrap(connection.duplicate()),
    connect: () => connection.connect(),
    destroy: () => connection.destroy(),
  });
  return { connection: wrap(inner), commands };
}
