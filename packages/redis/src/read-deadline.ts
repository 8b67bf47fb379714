/**
 * A bound on each reply of a read loop's connection. Redis answers a blocking read within its
 * `BLOCK` time, and any other read at once; a reply still missing `HUNG_AFTER_MS` past that is a
 * connection that hangs (a client library waiting for ever on a node that is gone, with nothing to
 * make the command fail). The command then fails with {@link HungReadError}, and the loop replaces
 * its connection and reads again from its cursors: a hang becomes a reported error, not a silence.
 */
import type { RedisConnection } from './connection/connection.js';

/** How long past its `BLOCK` time (if any) a read's reply may take. */
export const HUNG_AFTER_MS = 5_000;

/** A read got no reply in time: its connection is taken for hung. */
export class HungReadError extends Error {
  constructor(ms: number) {
    super(
      `ssekit/redis: a read on the read loop's connection got no reply within ${ms} ms; ` +
        'the connection is replaced and the loop reads again from where it was.',
    );
    this.name = 'HungReadError';
  }
}

/** `connection`, with each command failing once its reply is later than its deadline. */
export function withReadDeadline(connection: RedisConnection): RedisConnection {
  return {
    get isCluster() {
      return connection.isCluster;
    },
    get isReady() {
      return connection.isReady;
    },
    command: (args) => {
      const ms = blockOf(args) + HUNG_AFTER_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HungReadError(ms)), ms);
      });
      return Promise.race([connection.command(args), late]).finally(() => clearTimeout(timer));
    },
    onError: (listener) => connection.onError(listener),
    duplicate: () => withReadDeadline(connection.duplicate()),
    connect: () => connection.connect(),
    destroy: () => connection.destroy(),
  };
}

/** The `BLOCK` milliseconds of an `XREAD` (an option, before its keys), 0 when it does not block. */
function blockOf(args: readonly string[]): number {
  const words = args.map((arg) => arg.toUpperCase());
  const at = words.indexOf('BLOCK');
  const keysAt = words.indexOf('STREAMS');
  return at < 0 || (keysAt >= 0 && at > keysAt) ? 0 : Number(args[at + 1]) || 0;
}
