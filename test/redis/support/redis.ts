/**
 * Where the Redis suites find Redis, and how they stay out of everyone else's keys: every run
 * uses a random key prefix and deletes only keys under it. Never FLUSHALL or FLUSHDB.
 */
import { randomBytes } from 'node:crypto';
import { commandOnce } from './command-once.js';

/** `REDIS_URL`, default the machine's own Redis. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const START_HINT =
  'Start Redis with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no ' +
  '(or set REDIS_URL).';

/**
 * Whether Redis answers at `REDIS_URL`. With `CI` set, an unreachable Redis throws (the run must
 * fail, not pass by skipping); without it, the suite is skipped and says how to start Redis.
 */
export async function redisIsAvailable(suite: string): Promise<boolean> {
  try {
    await commandOnce(REDIS_URL, ['PING'], { timeoutMs: 2000 });
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env.CI) {
      throw new Error(
        `Redis is unreachable at ${REDIS_URL} (${reason}) and CI is set. ${START_HINT}`,
      );
    }
    console.warn(
      `[${suite}] skipped: Redis is unreachable at ${REDIS_URL} (${reason}). ${START_HINT}`,
    );
    return false;
  }
}

/** A fresh key prefix for one test file's run: `ssekit-test:<random>:`. */
export function randomPrefix(): string {
  return `ssekit-test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix` (and only those), with SCAN so Redis is never blocked. */
export async function deleteKeysUnder(prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = (await commandOnce(REDIS_URL, [
      'SCAN',
      cursor,
      'MATCH',
      `${prefix}*`,
      'COUNT',
      '1000',
    ])) as [string, string[]];
    if (keys.length > 0) await commandOnce(REDIS_URL, ['DEL', ...keys]);
    cursor = next;
  } while (cursor !== '0');
}
