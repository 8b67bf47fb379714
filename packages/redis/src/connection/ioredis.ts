/** The ioredis options the broker sets on the connection it duplicates for its read loop. */
import { SsekitError } from '@ssekit/core';
import type { RedisConnection } from './connection.js';

interface ReaderOverrides {
  autoResendUnfulfilledCommands: boolean;
  enableOfflineQueue: boolean;
  maxRetriesPerRequest: null;
  commandTimeout: undefined;
}

/**
 * The parts of an ioredis v5 or v6 client (`new Redis()`) the broker uses. Declared here so that
 * `@ssekit/redis` needs no Redis client at build or run time.
 */
export interface IoredisClientLike {
  readonly status: string;
  readonly options?: { readonly keyPrefix?: string; readonly commandTimeout?: number };
  call(command: string, ...args: string[]): Promise<unknown>;
  duplicate(overrides?: Partial<ReaderOverrides>): IoredisClientLike;
  connect(): Promise<unknown>;
  disconnect(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** `true` when `client` looks like an ioredis client. */
export function isIoredisClient(client: unknown): client is IoredisClientLike {
  const candidate = client as Partial<IoredisClientLike> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.call === 'function' &&
    typeof candidate.duplicate === 'function' &&
    typeof candidate.status === 'string'
  );
}

/**
 * Wraps an ioredis v5 or v6 client. ioredis keeps the commands in flight when its socket drops and
 * sends them again after reconnecting, whenever that is: a publish could then be stored twice, and
 * a read loop would not see the drop it must check for trimmed entries. So the broker's own
 * connections (duplicates) do not resend or queue, and their pending commands reject as soon as
 * the connection closes; the broker decides what to send again. Nor do they time commands out
 * (`commandTimeout`): an XREAD that blocks for `blockMs` would read as an outage.
 */
export function ioredisConnection(client: IoredisClientLike): RedisConnection {
  return wrap(client, false);
}

function wrap(client: IoredisClientLike, rejectOnClose: boolean): RedisConnection {
  const pending = new Set<(error: Error) => void>();
  if (rejectOnClose) {
    client.on('close', () => {
      const error = new SsekitError(
        'ERR_SSE_BROKER_UNAVAILABLE',
        'ssekit/redis: the Redis connection closed before replying.',
      );
      for (const reject of pending) reject(error);
      pending.clear();
    });
  }
  const command = (args: readonly string[]): Promise<unknown> => {
    const [name, ...rest] = args as [string, ...string[]];
    const reply = client.call(name, ...rest);
    if (!rejectOnClose) return reply;
    return new Promise((resolve, reject) => {
      pending.add(reject);
      reply.then(resolve, reject).finally(() => pending.delete(reject));
    });
  };
  return {
    get isReady() {
      return client.status === 'ready';
    },
    command,
    onError(listener) {
      client.on('error', listener);
      return () => client.off('error', listener);
    },
    duplicate: () =>
      wrap(
        client.duplicate({
          autoResendUnfulfilledCommands: false,
          enableOfflineQueue: false,
          maxRetriesPerRequest: null,
          // A blocked XREAD waits `blockMs` on purpose; a hung one meets its read deadline.
          commandTimeout: undefined,
        }),
        true,
      ),
    connect() {
      if (client.status === 'wait') client.connect().catch(() => {});
    },
    destroy() {
      client.disconnect();
    },
  };
}
