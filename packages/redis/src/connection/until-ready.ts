/**
 * Waiting for a connection to be ready. The seam has no ready event (a `RedisConnection` is a few
 * calls, easy to implement for any client), so this checks `isReady` at a short interval.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisConnection } from './connection.js';

const CHECK_MS = 10;

/**
 * Resolves `true` once `connection` is ready; `false` when `deadline` (a `performance.now()` time)
 * passes, `signal` aborts or `giveUp()` says so first.
 */
export async function untilReady(
  connection: RedisConnection,
  deadline: number,
  signal: AbortSignal,
  giveUp: () => boolean = () => false,
): Promise<boolean> {
  while (!connection.isReady) {
    if (signal.aborted || giveUp() || performance.now() >= deadline) return false;
    try {
      await sleep(CHECK_MS, undefined, { signal });
    } catch {
      return false;
    }
  }
  return true;
}
