/**
 * An instance that stalls (SIGSTOP, as a long GC pause or a busy host does) while another keeps
 * publishing, then resumes: its read loop catches up with everything published meanwhile, far
 * more than any client's buffer limit. Clients that read must get all of it and stay connected.
 * (That a client that does not read is still cut off after a burst is pinned in the core and
 * hub suites: a paused socket here takes tens of MiB into its kernel buffers first.)
 */
import type { HubEntry } from '@ssekit/core/broker';
import { redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sleep, until } from '../support/wait.js';
import { type Instance, removeInstanceBundle, startInstance } from './support/instances.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';
import { relayToRedis } from './support/relay.js';
import { type RedisSseClient, sequence, sseClient } from './support/sse-client.js';

const available = await redisIsAvailable('redis catch-up');
const prefix = randomPrefix();

/**
 * Above what the live events (below) come to, so that only the catch-up can put a client over
 * it: the live events count against a client only while it reads slower than they arrive, which
 * a client in a process sharing two busy cores with the rest of the suite can do for a while.
 */
const MAX_BUFFERED = 1024 * 1024;
/** Published while the instance is stopped: eight times the buffer limit. */
const STALLED_EVENTS = 8000;
const PAD = 1024;
/** Published once it runs again, while its clients are still taking the catch-up. */
const LIVE_EVENTS = 500;
const LIVE_BATCH = 50;

// After every describe: each file's keys are its own, deleted once all its tests ran.
afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

describe.skipIf(!available)('catching up after a stall', () => {
  const instances: Instance[] = [];
  const clients: RedisSseClient[] = [];
  let keys = 0;

  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    for (const instance of instances) instance.child.kill('SIGCONT');
    await Promise.all(instances.splice(0).map((instance) => instance.stop()));
  });

  afterAll(() => {
    removeInstanceBundle();
  });

  /** A publishing instance, and the instance that will stall with three reading clients. */
  async function setUp(): Promise<{ publisher: Instance; target: Instance }> {
    keys += 1;
    const [publisher, target] = (await Promise.all(
      (['node-redis 5', 'ioredis 5'] as const).map((client, index) =>
        startInstance({
          name: `instance-${index + 1}`,
          redisUrl: REDIS_URL,
          key: `${prefix}catch-up:${keys}`,
          client,
          heartbeatMs: 60_000,
          maxBufferedBytes: MAX_BUFFERED,
        }),
      ),
    )) as [Instance, Instance];
    instances.push(publisher, target);
    for (let i = 0; i < 3; i++) {
      const client = sseClient(['a']);
      clients.push(client);
      await client.connect(target.url);
      await client.waitFor((events) => events.length > 0);
    }
    return { publisher, target };
  }

  /** Stops `target`, publishes through `publisher`, resumes it, publishes live; every reader gets all. */
  async function stallAndResume(publisher: Instance, target: Instance, first: number) {
    target.child.kill('SIGSTOP');
    const stalled = await publisher.publish('a', STALLED_EVENTS, first, PAD);
    expect(stalled.status, stalled.error).toBe(200);
    target.child.kill('SIGCONT');
    const liveStart = first + STALLED_EVENTS;
    // Live events at about 500 KB/s, a pace any reading client outruns: what is judged here is
    // the catch-up. Sent at once, they would arrive faster than a client in a process that shares
    // two busy cores with the rest of the suite reads, which the policy rightly calls slow.
    for (let batch = 0; batch < LIVE_EVENTS / LIVE_BATCH; batch++) {
      const live = await publisher.publish('a', LIVE_BATCH, liveStart + batch * LIVE_BATCH, PAD);
      expect(live.status, live.error).toBe(200);
      await sleep(100);
    }
    const total = liveStart + LIVE_EVENTS;
    for (const client of clients) {
      await client
        .waitFor(() => client.received >= total, 60_000)
        .catch(async (error) => {
          // Whether the instance cut the client off (overflows) or the delivery stalled.
          throw new Error(
            `${(error as Error).message}; instance: ${JSON.stringify(await target.stats())}`,
          );
        });
      expect(client.data().map((event) => event.n)).toEqual(sequence(0, total));
      expect(client.connected).toBe(true);
    }
  }

  it('delivers the whole catch-up to clients that read, and cuts none off', {
    timeout: 120_000,
  }, async () => {
    const { publisher, target } = await setUp();
    await stallAndResume(publisher, target, 0);
    const stats = await target.stats();
    expect(stats.overflows).toBe(0);
    expect(stats.openStreams).toBe(3);
  });
});

describe.skipIf(!available)('the read loop after a stall', () => {
  it('hands out what it missed as one burst, not one batch a turn', async () => {
    const key = `${prefix}one-burst`;
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    await client.connect();
    const relay = await relayToRedis({ held: false });
    const publisher = redisBroker({ client, key, onError: () => {} });
    const stalled = redisBroker({
      client,
      key,
      batchSize: 100,
      onError: () => {},
      createReader: () => {
        const reader = createClient({ url: relay.url });
        reader.on('error', () => {});
        return reader;
      },
    });
    // The turn of the event loop each entry was handed out in.
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn += 1;
      if (ticking) setImmediate(tick);
    };
    tick();
    const turns: number[] = [];
    const entries: HubEntry[] = [];
    stalled.subscribe({
      entry: (entry) => {
        entries.push(entry);
        turns.push(turn);
      },
      reset: () => {},
    });
    try {
      await Promise.all([publisher.ready(), stalled.ready()]);
      relay.hold();
      const ids: string[] = [];
      for (let i = 0; i < 350; i++) ids.push(await publisher.publish({ topic: 'a', data: `${i}` }));
      relay.release();
      await until(() => entries.length === 350, '350 entries');
      expect(entries.map((entry) => entry.id)).toEqual(ids);
      // The read that was waiting returns what was there when it woke; everything after it,
      // three full batches and more, comes in one turn.
      expect(new Set(turns.slice(-300)).size).toBe(1);
    } finally {
      ticking = false;
      await stalled.close();
      await publisher.close();
      await relay.close();
      await client.close();
    }
  });
});
