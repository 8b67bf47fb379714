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
/** The longest delay a timer keeps (2^31 - 1 ms); Node fires a longer one at once. */
const LONGEST_TIMER_MS = 2_147_483_647;

/** A read got no reply in time: its connection is taken for hung. */
export class HungReadError extends Error {
  constructor(ms: number) {
    super(
      `ssekit/redis: a read on the read loop's connection got no reply within ${ms} ms; the ` +
        'connection was replaced and the loop reads on from where it was: nothing is lost.',
    );
    this.name = 'HungReadError';
  }
}

/**
 * `reply`, or a rejection with `tooLate()` (by default a {@link HungReadError}) once `ms` have
 * passed without it.
 */
export function withinDeadline<T>(
  reply: Promise<T>,
  ms: number,
  tooLate: () => Error = () => new HungReadError(ms),
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    // From the check phase: after a stall of the event loop, timers run before the poll phase
    // reads a reply that is already waiting on the socket; it is read first this way.
    const fail = () => setImmediate(() => reject(tooLate()));
    timer = setTimeout(fail, Math.min(ms, LONGEST_TIMER_MS));
  });
  return Promise.race([reply, late]).finally(() => clearTimeout(timer));
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
      let reply: Promise<unknown>;
      try {
        reply = connection.command(args);
      } catch (error) {
        return Promise.reject(error);
      }
      return withinDeadline(reply, blockOf(args) + HUNG_AFTER_MS);
    },
    onError: (listener) => connection.onError(listener),
    duplicate: () => withReadDeadline(connection.duplicate()),
    connect: () => connection.connect(),
    destroy: () => connection.destroy(),
  };
}

/** The `BLOCK` milliseconds of an `XREAD` (an option, before its keys), 0 when it does not block. */
function blockOf(args: readonly string[]): number {
  if (args[0]?.toUpperCase() !== 'XREAD') return 0;
  const words = args.map((arg) => arg.toUpperCase());
  const at = words.indexOf('BLOCK');
  const keysAt = words.indexOf('STREAMS');
  return at < 0 || (keysAt >= 0 && at > keysAt) ? 0 : Number(args[at + 1]) || 0;
}
