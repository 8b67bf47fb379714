/**
 * A lone primary fails over to its replica, promoted by Redis Sentinel, while two hubs on it
 * serve clients over HTTP, with ioredis 5 and 6 (`new Redis({ sentinels, name })`). Each test
 * starts a primary, a replica and a Sentinel of its own (`support/local-sentinel.ts`) and kills
 * the primary with SIGKILL; the instances find the promoted replica through the Sentinel.
 *
 * - Everything replicated: the replica acknowledged every event before the kill (replication
 *   offsets). Nothing is lost, nothing repeated, nobody is reset, live or resuming; publishes made
 *   during the failover settle.
 * - Three lost: the replica acknowledges five events, is then stopped (SIGSTOP) and cut off
 *   (`CLIENT KILL TYPE replica` on the primary), and the primary acknowledges three more that
 *   never reach it. What the replica had is delivered and replayable without a reset; every
 *   client that saw the three, live or resuming with one of their ids, gets `ssekit:reset`,
 *   never silence.
 * - A new primary whose clock is behind the lost entries': its stream laid out by hand (a test
 *   cannot set Redis's clock), to pin the one case where a resume, or a live read loop whose
 *   cursor is at a lost id, skips entries without a reset.
 *
 * node-redis's `createSentinel()` is refused at construction (last test).
 */
import { type RedisClientLike, redisBroker } from '@ssekit/redis';
import { createSentinel as createSentinel5 } from 'redis5';
import { createSentinel as createSentinel6 } from 'redis6';
import { describe, expect, it, type TestContext } from 'vitest';
import type { FetchReader } from '../hub/support/clients.js';
import { until } from '../support/wait.js';
import { runCleanups } from './support/cleanups.js';
import { clientLibraries, type NodeRedis } from './support/clients.js';
import { hubInstance, openOnEach } from './support/cluster-instance.js';
import { expectDelivered, seen } from './support/delivered.js';
import {
  answered,
  crashLosingThree,
  expectResetAfterLoss,
  expectResumed,
  publishOnceStored,
  untilResumed,
} from './support/failover-suite.js';
import { localSentinel, MASTER_NAME } from './support/local-sentinel.js';
import { canRunRedisServer, privateRedis } from './support/private-redis.js';
import { SENTINEL_LIBRARIES, type SentinelLibrary } from './support/sentinel-clients.js';
import { steadyPublisher } from './support/steady-publisher.js';

const runnable = await canRunRedisServer();

const KEY = 'ssekit:sentinel';
const TOPIC = 'news';

describe.skipIf(!runnable)(
  'redisBroker when Sentinel promotes the replica of a lone primary',
  () => {
    describe.concurrent.each(SENTINEL_LIBRARIES)('with $name', (library: SentinelLibrary) => {
      /**
       * Starts the servers and two instances, torn down when the test finishes: the tests run
       * concurrently, so through the test's own context, never the current test's.
       */
      const started = async ({ onTestFinished }: TestContext) => {
        const cleanups: Array<() => Promise<void> | void> = [];
        onTestFinished(() => runCleanups(cleanups), 30_000);
        const redis = await localSentinel();
        cleanups.push(() => redis.dispose());
        const instance = async () => {
          const client = await library.connected(redis.sentinel);
          return hubInstance({ client, key: KEY }, () => client.disconnect(), cleanups);
        };
        const [a, b] = [await instance(), await instance()];
        return { redis, a, b, live: await openOnEach([a, b], TOPIC) };
      };

      it('everything replicated: nothing lost, nothing repeated, no reset; publishes during the failover settle', {
        timeout: 60_000,
      }, async (context) => {
        const { redis, a, b, live } = await started(context);
        const first = await a.hub.publish(TOPIC, { data: 'first' });
        const before = steadyPublisher(b.hub, TOPIC, 'before', 50);
        await until(() => before.resolved() >= 5, 'publishes before the failover', 10_000);
        const beforeOutcomes = await before.stop();
        await redis.replicated();

        await redis.kill(redis.primary);
        const during = steadyPublisher(a.hub, TOPIC, 'during', 100);
        await redis.promoted();
        await until(() => during.resolved() >= 3, 'publishes stored after the failover', 30_000);
        const duringOutcomes = await during.stop();
        await publishOnceStored(b.hub, TOPIC, 'last');

        const resumed = b.open([TOPIC], first);
        const readers = [...live, resumed];
        await until(
          () => readers.every((reader) => seen(reader).at(-1) === 'last'),
          () => `every event (${library.name}): ${JSON.stringify(readers.map(seen))}`,
          30_000,
        );
        for (const reader of readers) {
          const events = seen(reader);
          expect(events).not.toContain('RESET');
          const after = events.slice(events[0] === 'first' ? 1 : 0, -1);
          expectDelivered(after.slice(0, beforeOutcomes.length), beforeOutcomes);
          expectDelivered(after.slice(beforeOutcomes.length), duringOutcomes);
        }
        expect(seen(live[0] as FetchReader)[0]).toBe('first');
        expect(seen(resumed)[0]).not.toBe('first');
      });

      it('three acknowledged events never replicated: what the replica had is delivered and replayable, what it lost resets, also for a resume before anything new', {
        timeout: 60_000,
      }, async (context) => {
        const { redis, a, b, live } = await started(context);
        const pair = { ...redis, master: redis.primary };
        const { kept, lost } = await crashLosingThree(pair, a.hub, TOPIC, live, 10_000);
        await redis.promoted();

        // Nothing was published since the failover: the id is beyond what the stream holds.
        const fromLostFirst = await answered(() => b.open([TOPIC], lost[2]));
        expect(seen(fromLostFirst)[0]).toBe('RESET');
        expect(seen(fromLostFirst).filter((data) => data.startsWith('lost'))).toEqual([]);

        const publisher = steadyPublisher(b.hub, TOPIC, 'after', 100);
        await until(() => publisher.resolved() >= 3, 'publishes after the failover', 30_000);
        const outcomes = await publisher.stop();
        await publishOnceStored(a.hub, TOPIC, 'last');
        await until(
          () => live.every((reader) => seen(reader).at(-1) === 'last'),
          () => `the live clients (${library.name}): ${JSON.stringify(live.map(seen))}`,
          30_000,
        );
        // Live clients: the eight events, the reset (three of them were lost), then every event
        // stored after the failover, once, in order.
        const stored = expectResetAfterLoss(live, outcomes);

        // Resumes once each instance's read loop is past the failover (README, Redis Cluster, on a
        // resume that comes before): from ids the replica had, exactly what followed, no reset;
        // from an id Redis lost, the reset and none of the lost events.
        const resumes = {
          fromKept: b.open([TOPIC], kept[2]),
          fromLastKept: a.open([TOPIC], kept[4]),
          fromLost: a.open([TOPIC], lost[0]),
        };
        await untilResumed(resumes, 'last', library.name);
        expectResumed(resumes, stored);
      });
    });

    /**
     * The stream a promoted primary whose clock is behind the lost entries' leaves, laid out by
     * hand (a test cannot set Redis's clock): five entries replicated (ms 1000), three lost (ms
     * 2000, in the clients' hands only), then three appended while its clock was behind (the
     * script stamps them with its last entry's ms), and more once its clock passed the lost ones'.
     */
    const KEPT = [1, 2, 3, 4, 5].map((n) => [`1000-${n}`, `kept ${n}`] as const);
    const LOST = [6, 7, 8].map((n) => [`2000-${n}`, `lost ${n}`] as const);
    const PROMOTED = [
      ...KEPT,
      ...[6, 7, 8].map((n) => [`1000-${n}`, `behind ${n}`] as const),
      ['3000-9', 'ahead 9'],
      ['3000-10', 'ahead 10'],
    ] as const;

    /** A private server, `add` to lay out entries on it, and `instance` to start a hub on it. */
    const laidOut = async ({ onTestFinished }: TestContext) => {
      const cleanups: Array<() => Promise<void> | void> = [];
      onTestFinished(() => runCleanups(cleanups));
      const redis = await privateRedis();
      cleanups.push(() => redis.dispose());
      const library = clientLibraries['node-redis 6'];
      const add = async (entries: ReadonlyArray<readonly [string, string]>) => {
        const writer = (await library.connected(redis.url)) as NodeRedis;
        for (const [id, data] of entries)
          await writer.sendCommand(['XADD', KEY, id, 'topic', TOPIC, 'data', data]);
        await library.close(writer);
      };
      const instance = async () => {
        const client = await library.connected(redis.url);
        return hubInstance({ client, key: KEY }, () => library.close(client), cleanups);
      };
      return { redis, add, instance };
    };

    it('a promoted primary whose clock is behind the lost entries: a resume from a lost id skips what it appended meanwhile, without a reset (a known limit)', async (context) => {
      const { add, instance: started } = await laidOut(context);
      await add(PROMOTED);
      const instance = await started();

      const fromLastLost = instance.open([TOPIC], '2000-8');
      const fromFirstLost = instance.open([TOPIC], '2000-6');
      await until(
        () => seen(fromLastLost).at(-1) === 'ahead 10' && seen(fromFirstLost).length > 0,
        'the resumes',
      );
      // The entry after the client's id carries the next count: nothing looks lost.
      expect(seen(fromLastLost)).toEqual(['ahead 9', 'ahead 10']);
      // The count skips: the reset.
      expect(seen(fromFirstLost)[0]).toBe('RESET');
    });

    it('a promoted primary whose clock is behind the lost entries: a live read loop whose cursor is at a lost id delivers from the next count on, skipping what it appended meanwhile, without a reset (a known limit)', async (context) => {
      // The read loop delivers the lost entries, its cursor at the last; then its server goes
      // without saving (the connection drops, as when a primary dies) and comes back with the
      // promoted primary's stream.
      const { redis, add, instance: started } = await laidOut(context);
      await add(KEPT);
      const [live] = (await openOnEach([await started()], TOPIC)) as [FetchReader];
      await add(LOST);
      await until(() => seen(live).at(-1) === 'lost 8', 'the lost entries live');

      await redis.stop('NOSAVE');
      await redis.start();
      await add(PROMOTED);
      await until(
        () => seen(live).at(-1) === 'ahead 10',
        () => `the live client: ${JSON.stringify(seen(live))}`,
      );
      // The entry after the cursor carries the next count: nothing looks lost.
      expect(seen(live)).toEqual(['lost 6', 'lost 7', 'lost 8', 'ahead 9', 'ahead 10']);
    });
  },
);

describe('redisBroker given a node-redis Sentinel client', () => {
  it('refuses it at construction (createSentinel from redis 5 and 6), saying what to pass instead', () => {
    const options = { name: MASTER_NAME, sentinelRootNodes: [{ host: '127.0.0.1', port: 1 }] };
    for (const client of [createSentinel5(options), createSentinel6(options)]) {
      let thrown: unknown;
      try {
        redisBroker({ client: client as unknown as RedisClientLike, key: KEY });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect(String(thrown)).toMatch(/node-redis Sentinel client \(createSentinel\(\)\).*ioredis/);
    }
  });
});
