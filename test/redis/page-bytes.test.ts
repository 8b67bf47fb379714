/**
 * Reads bounded in bytes, not only in entries: a count sized from small entries must not bring
 * the large ones that follow them all at once. Hundreds of entries of a few bytes, then large
 * ones, appended together: each replay page holds at most 64 KiB of entries (or one entry larger
 * than that); each reply of the live loop at most 1 MiB of entries, or the 16 entries per
 * partition its wait takes; and everything still comes, once, in order.
 */
import type { HubEntry } from '@ssekit/core/broker';
import { nodeRedisConnection, type RedisConnection, redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { until } from '../support/wait.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis page bytes');
const prefix = randomPrefix();
let keys = 0;

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

const SMALL = 600;
const LARGE = 100;
const LARGE_BYTES = 128 * 1024;
const KIB = 1024;

/** The characters of every string and buffer in a reply, however the library shaped it. */
function textIn(reply: unknown): number {
  if (typeof reply === 'string') return reply.length;
  if (reply instanceof Uint8Array) return reply.byteLength;
  if (reply instanceof Map) return textIn([...reply]);
  if (Array.isArray(reply)) return reply.reduce((sum: number, part) => sum + textIn(part), 0);
  if (reply !== null && typeof reply === 'object') return textIn(Object.entries(reply));
  return 0;
}

/** `real`, recording the size of each reply it gets. */
function measured(real: RedisConnection, replies: number[]): RedisConnection {
  return {
    get isReady() {
      return real.isReady;
    },
    command: async (args) => {
      const reply = await real.command(args);
      replies.push(textIn(reply));
      return reply;
    },
    onError: (listener) => real.onError(listener),
    duplicate: () => real.duplicate(),
    connect: () => real.connect(),
    destroy: () => real.destroy(),
  };
}

describe.skipIf(!available)('reads after small entries then large ones', () => {
  async function start() {
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    await client.connect();
    const readerReplies: number[] = [];
    const broker = redisBroker({
      client,
      key: `${prefix}bytes${++keys}`,
      createReader: () => measured(nodeRedisConnection(client.duplicate()), readerReplies),
      onError: () => {},
    });
    onTestFinished(async () => {
      await broker.close();
      client.destroy();
    });
    await broker.ready();
    return { broker, readerReplies };
  }

  /** Small entries then large ones, appended in one turn (one script call): ids in order. */
  function publishSmallThenLarge(broker: Awaited<ReturnType<typeof start>>['broker']) {
    const large = 'L'.repeat(LARGE_BYTES);
    return Promise.all([
      ...Array.from({ length: SMALL }, (_, n) => broker.publish({ topic: 't', data: `s${n}` })),
      ...Array.from({ length: LARGE }, (_, n) =>
        broker.publish({ topic: 't', data: `${n}${large}` }),
      ),
    ]);
  }

  it('replays in pages of at most about 64 KiB, or of one entry larger than that', async () => {
    const { broker } = await start();
    const from = await broker.publish({ topic: 't', data: 'before' });
    const ids = await publishSmallThenLarge(broker);
    // A replay goes as far as the live loop has read: from there on, live delivery takes over.
    await until(() => broker.cursor() === ids.at(-1), 'the live loop to read them all', 30_000);
    const pages: HubEntry[][] = [];
    for await (const page of broker.replay(from, new Set(['t']))) {
      if (page === 'reset') throw new Error('a reset where nothing was lost');
      pages.push([...page]);
    }
    expect(pages.flat().map((entry) => entry.id)).toEqual(ids);
    for (const page of pages) {
      const bytes = page.reduce((sum, entry) => sum + entry.data.length, 0);
      if (page.length > 1) expect(bytes).toBeLessThanOrEqual(64 * KIB);
    }
  }, 60_000);

  it('reads live in replies of at most 1 MiB of entries, or of the 16 its wait takes', async () => {
    const { broker, readerReplies } = await start();
    const seen: string[] = [];
    broker.subscribe({ entry: (entry) => void seen.push(entry.id), reset: () => {} });
    const ids = await publishSmallThenLarge(broker);
    await until(() => seen.length === ids.length, 'every entry', 30_000);
    expect(seen).toEqual(ids);
    // The ids and field names a reply carries besides the data: well under 1 KiB an entry here.
    const bound = Math.max(1024 * KIB + 64 * KIB, 16 * (LARGE_BYTES + KIB));
    expect(Math.max(...readerReplies)).toBeLessThanOrEqual(bound);
  }, 60_000);
});
