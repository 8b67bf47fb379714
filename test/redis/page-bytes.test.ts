/**
 * Reads bounded in bytes, not only in entries. Replay: hundreds of entries of a few bytes, then
 * large ones, appended together: each page holds at most 64 KiB of entries (or one entry larger
 * than that). The live loop, behind (its reads held while entries are appended): a read that
 * held one large entry among small ones sizes the next one from the large entry, not from the
 * average, which the small ones keep low. Everything comes, once, in order.
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

/** Holds the replies of reads while closed, as a loop that stalls. */
class Gate {
  #opened: Promise<void> = Promise.resolve();
  #open = () => {};
  close(): void {
    this.#opened = new Promise((resolve) => {
      this.#open = resolve;
    });
  }
  open(): void {
    this.#open();
  }
  passed(): Promise<void> {
    return this.#opened;
  }
}

/** `real`, recording the size of each reply it gets, holding read replies at `gate`. */
function measured(real: RedisConnection, replies: number[], gate: Gate): RedisConnection {
  return {
    get isReady() {
      return real.isReady;
    },
    command: async (args) => {
      const reply = await real.command(args);
      if (args[0] === 'XREAD') await gate.passed();
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
    const gate = new Gate();
    const broker = redisBroker({
      client,
      key: `${prefix}bytes${++keys}`,
      createReader: () => measured(nodeRedisConnection(client.duplicate()), readerReplies, gate),
      onError: () => {},
    });
    onTestFinished(async () => {
      await broker.close();
      client.destroy();
    });
    await broker.ready();
    return { broker, readerReplies, gate };
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

  it('reads a backlog in replies of about 1 MiB, sized from the largest entry read lately', async () => {
    const { broker, readerReplies, gate } = await start();
    const seen: string[] = [];
    broker.subscribe({ entry: (entry) => void seen.push(entry.id), reset: () => {} });
    const marker = await broker.publish({ topic: 't', data: 'marker' });
    await until(() => seen.includes(marker), 'the marker');
    gate.close();
    const large = 'L'.repeat(LARGE_BYTES);
    // One large entry, 50 small ones, then large ones: the average of the first read is small.
    const data = [large, ...Array.from({ length: 50 }, (_, n) => `s${n}`)];
    for (let n = 0; n < LARGE; n++) data.push(`${n}${large}`);
    const ids = await Promise.all(data.map((text) => broker.publish({ topic: 't', data: text })));
    gate.open();
    await until(() => seen.length === ids.length + 1, 'every entry', 30_000);
    expect(seen).toEqual([marker, ...ids]);
    // The ids and field names a reply carries besides the data: well under 64 KiB here.
    expect(Math.max(...readerReplies)).toBeLessThanOrEqual(1024 * KIB + 64 * KIB);
  }, 60_000);
});
