/**
 * Reads bounded in bytes, not only in entries. Replay: hundreds of entries of a few bytes, then
 * large ones, appended together: each page holds at most 64 KiB of entries (or one entry larger
 * than that), read with plain `XRANGE` where the append script recorded how large entries are
 * (`entry-sizes.ts`) and by the page script where it did not. Whatever id a client resumes with
 * and whatever is published meanwhile, no reply to a replay exceeds that. The live loop, behind
 * (its reads held while entries are appended): a read that held one large entry among small
 * ones sizes the next one from the large entry, not from the average, which the small ones keep
 * low. Everything comes, once, in order.
 */
import type { HubEntry, ReplayPage } from '@ssekit/core/broker';
import {
  nodeRedisConnection,
  type RedisBroker,
  type RedisConnection,
  redisBroker,
} from '@ssekit/redis';
import { createClient } from 'redis';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { until } from '../support/wait.js';
import { countingConnection } from './support/counting.js';
import { canRunRedisServer, privateRedis } from './support/private-redis.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis page bytes');
const privateRedisRuns = await canRunRedisServer();
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
    duplicate: () => measured(real.duplicate(), replies, gate),
    connect: () => real.connect(),
    destroy: () => real.destroy(),
  };
}

describe.skipIf(!available)('reads after small entries then large ones', () => {
  async function start(retention: { maxEvents?: number } = {}, key = `${prefix}bytes${++keys}`) {
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    await client.connect();
    const readerReplies: number[] = [];
    const brokerReplies: number[] = [];
    const gate = new Gate();
    const counted = countingConnection(nodeRedisConnection(client));
    const broker = redisBroker({
      client: measured(counted.connection, brokerReplies, new Gate()),
      key,
      ...retention,
      createReader: () => measured(nodeRedisConnection(client.duplicate()), readerReplies, gate),
      onError: () => {},
    });
    onTestFinished(async () => {
      await broker.close();
      client.destroy();
    });
    await broker.ready();
    return { broker, readerReplies, brokerReplies, gate, key, commands: counted.commands, client };
  }

  /** The largest reply the broker's connections got while replaying after `from`, and the pages. */
  async function replayReplies(
    { broker, brokerReplies }: Awaited<ReturnType<typeof start>>,
    from: string,
  ) {
    brokerReplies.length = 0;
    const pages: ReplayPage[] = [];
    for await (const page of broker.replay(from, new Set(['t']))) pages.push(page);
    return { largest: Math.max(...brokerReplies), pages };
  }

  /** `count` entries of `data` (or of `data(n)`), published in one turn. */
  function publishMany(
    broker: RedisBroker,
    count: number,
    data: string | ((n: number) => string),
  ): Promise<string[]> {
    return Promise.all(
      Array.from({ length: count }, (_, n) =>
        broker.publish({ topic: 't', data: typeof data === 'string' ? data : data(n) }),
      ),
    );
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

  /** The replay's pages after `from`, checked to hold `ids` in order and 64 KiB at most each. */
  async function replayChecked(broker: RedisBroker, from: string, ids: string[]) {
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
  }

  /** The page reads among `commands`: plain `XRANGE`s, and calls of the one-key page script. */
  function pageReads(commands: string[][]) {
    const script = (args: string[]) => args[0]?.startsWith('EVAL') === true && args.length === 7;
    return {
      plain: commands.filter((args) => args[0] === 'XRANGE').length,
      script: commands.filter(script).length,
    };
  }

  it('replays in pages of at most about 64 KiB, or of one entry larger than that', async () => {
    const { broker, commands, client, key } = await start();
    const from = await broker.publish({ topic: 't', data: 'before' });
    const ids = await publishSmallThenLarge(broker);
    // A replay goes as far as the live loop has read: from there on, live delivery takes over.
    await until(() => broker.cursor() === ids.at(-1), 'the live loop to read them all', 30_000);
    commands.length = 0;
    await replayChecked(broker, from, ids);
    // The windows of small entries are read plain; the one holding large ones by the script.
    const recorded = pageReads(commands);
    expect(recorded.plain).toBeGreaterThan(0);
    expect(recorded.script).toBeGreaterThan(0);
    // Without the record (entries appended by a version before it), every page is the script's.
    await client.del(`${key}:sizes`);
    commands.length = 0;
    await replayChecked(broker, from, ids);
    expect(pageReads(commands)).toEqual({ plain: 0, script: expect.any(Number) });
    expect(pageReads(commands).script).toBeGreaterThan(1);
  }, 60_000);

  it('replays entries of 1 KiB in plain pages of 64 KiB, and keeps the record as long as the stream', async () => {
    const { broker, commands, client, key } = await start({ maxEvents: 1000 });
    const from = await broker.publish({ topic: 't', data: 'before' });
    const kib = 'k'.repeat(KIB);
    const ids = await publishMany(broker, 900, (n) => `${n}${kib}`);
    await until(() => broker.cursor() === ids.at(-1), 'the live loop to read them all', 30_000);
    commands.length = 0;
    await replayChecked(broker, from, ids);
    // 64 KiB of entries of a little over 1 KiB each: about 60 a page, the window still being
    // appended to (counts from 768) as well, up to the stream's last id.
    const { plain, script } = pageReads(commands);
    expect(plain).toBeGreaterThanOrEqual(900 / 64);
    expect(plain).toBeLessThanOrEqual(900 / 48 + 2);
    expect(script).toBe(0);
    // Publishing on, the stream keeps about 1,000 entries, and the record two fields per window
    // of 256 of them (its largest entry, its first id), and where the windows kept start.
    for (let round = 0; round < 10; round++) await publishMany(broker, 500, 'more');
    const windows = Math.ceil(1000 / 256) + 2;
    expect(await client.hLen(`${key}:sizes`)).toBeLessThanOrEqual(2 * (windows + 1) + 1);
  }, 60_000);

  // An id is `<ms>-<count>`; a reader that sized a read by the count, while Redis reads by the
  // whole id, would size it from entries other than the ones it gets.
  it('replies within 64 KiB to an id whose count is ahead of its time', async () => {
    const started = await start();
    const [first] = await publishMany(started.broker, 200, 'M'.repeat(16 * KIB));
    for (let round = 0; round < 3; round++) await publishMany(started.broker, 500, (n) => `${n}`);
    // The 1,300th entry's count is among the small entries (a new stream counts from Redis's
    // clock: its first entry's count is the base); every entry's time is after 1 ms, so Redis
    // reads from the first, a medium one.
    const count = BigInt((first as string).split('-')[1] as string) + 1299n;
    const { largest, pages } = await replayReplies(started, `1-${count}`);
    expect(pages.at(-1)).toBe('reset');
    expect(largest).toBeGreaterThan(16 * KIB);
    expect(largest).toBeLessThanOrEqual(65 * KIB);
  }, 60_000);

  it('replies within 64 KiB to a client behind history trimmed away', async () => {
    const started = await start({ maxEvents: 1000 });
    const small = await publishMany(started.broker, 520, (n) => `${n}`);
    // About 1,000 kept: every small entry is trimmed away, the client's (count 301) with them.
    for (let round = 0; round < 11; round++) {
      await publishMany(started.broker, 100, 'M'.repeat(16 * KIB));
    }
    const { largest, pages } = await replayReplies(started, small[299] as string);
    expect(pages).toEqual(['reset']);
    expect(largest).toBeGreaterThan(16 * KIB);
    expect(largest).toBeLessThanOrEqual(65 * KIB);
  }, 60_000);

  it('replies within 64 KiB to a replay that large entries are published behind', async () => {
    const started = await start();
    const from = await started.broker.publish({ topic: 't', data: 'before' });
    const ids = await publishMany(started.broker, 2010, (n) => `${n}`);
    await until(() => started.broker.cursor() === ids.at(-1), 'the live loop to read them all');
    started.brokerReplies.length = 0;
    const pages: HubEntry[][] = [];
    for await (const page of started.broker.replay(from, new Set(['t']))) {
      if (page === 'reset') throw new Error('a reset where nothing was lost');
      if (pages.length === 0) await publishMany(started.broker, 40, 'M'.repeat(60 * KIB));
      pages.push([...page]);
    }
    expect(pages.flat().map((entry) => entry.id)).toEqual(ids);
    expect(Math.max(...started.brokerReplies)).toBeLessThanOrEqual(65 * KIB);
  }, 60_000);

  it('replies within 64 KiB where the record lost a window', async () => {
    const started = await start();
    const small = await publishMany(started.broker, 1100, (n) => `${n}`);
    const medium = await publishMany(started.broker, 300, 'M'.repeat(16 * KIB));
    // Counts 768 to 1,023 (window 3, small entries only) then look unfinished, though the stream
    // went on past them, to the medium ones.
    await started.client.hDel(`${started.key}:sizes`, '4:first');
    await until(() => started.broker.cursor() === medium.at(-1), 'the live loop to read them all');
    const { largest, pages } = await replayReplies(started, small[999] as string);
    expect(
      pages.flatMap((page) => (page === 'reset' ? [page] : page.map((entry) => entry.id))),
    ).toEqual([...small.slice(1000), ...medium]);
    expect(largest).toBeGreaterThan(16 * KIB);
    expect(largest).toBeLessThanOrEqual(65 * KIB);
  }, 60_000);

  it('drops the windows out of reach when maxEvents is lowered', async () => {
    const before = await start({ maxEvents: 100_000 });
    for (let round = 0; round < 6; round++) await publishMany(before.broker, 500, (n) => `${n}`);
    const lowered = await start({ maxEvents: 300 }, before.key);
    for (let round = 0; round < 3; round++) await publishMany(lowered.broker, 400, (n) => `${n}`);
    // Counts up to 4,200: the windows of the last 300 entries and two more, two fields each,
    // and where they start.
    const windows = Math.ceil(300 / 256) + 2;
    expect(await before.client.hLen(`${before.key}:sizes`)).toBeLessThanOrEqual(
      2 * (windows + 1) + 1,
    );
  }, 60_000);

  // On a Redis of its own: a script that never ended would hold any Redis it ran on.
  it.skipIf(!privateRedisRuns)(
    'keeps publishing, and pruning, whatever the record says is kept',
    async () => {
      const redis = await privateRedis();
      const client = createClient({ url: redis.url });
      client.on('error', () => {});
      onTestFinished(async () => {
        client.destroy();
        await redis.dispose();
      });
      await client.connect();
      const key = `${prefix}oldest{${++keys}}`;
      const broker = redisBroker({ client, key, maxEvents: 300, onError: () => {} });
      onTestFinished(() => broker.close());
      await broker.ready();
      const windows = Math.ceil(300 / 256) + 2;
      for (const kept of [
        '-inf',
        'inf',
        'nan',
        '-1e18',
        '1e300',
        '-5',
        'x',
        '99999999999999999999',
      ]) {
        await client.hSet(`${key}:sizes`, 'oldest', kept);
        // Four windows of 256 counts: the publishes settle, and what fell out of reach is dropped.
        for (let round = 0; round < 4; round++) await publishMany(broker, 256, (n) => `${n}`);
        expect(await client.hLen(`${key}:sizes`), kept).toBeLessThanOrEqual(2 * (windows + 1) + 1);
      }
    },
    60_000,
  );

  it('publishes and replays beside a record Redis cannot use', async () => {
    const started = await start();
    const from = await started.broker.publish({ topic: 't', data: 'before' });
    await started.client.hSet(`${started.key}:sizes`, '0', 'garbage');
    const ids = await publishMany(started.broker, 300, (n) => `${n}`);
    await started.client.del(`${started.key}:sizes`);
    await started.client.set(`${started.key}:sizes`, 'not a hash');
    ids.push(await started.broker.publish({ topic: 't', data: 'after' }));
    await until(() => started.broker.cursor() === ids.at(-1), 'the live loop to read them all');
    await replayChecked(started.broker, from, ids);
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
