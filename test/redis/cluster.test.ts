/**
 * `redisBroker` on a real Redis Cluster the suite starts (three masters, one replica each), with
 * node-redis `createCluster` and ioredis `Cluster`: two hubs over HTTP publish and read across the
 * masters, resume from partitions on different masters, and the options a cluster cannot serve are
 * a TypeError at construction.
 */
import { redisBroker } from '@ssekit/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FetchReader } from '../hub/support/clients.js';
import { until } from '../support/wait.js';
import { CLUSTER_LIBRARIES, type ClusterLibrary } from './support/cluster-clients.js';
import {
  type ClusterInstance,
  clusterInstance,
  dataOf as data,
  partitionKeyOf as partitionKey,
} from './support/cluster-instance.js';
import { type LocalCluster, localCluster } from './support/local-cluster.js';
import { canRunRedisServer } from './support/private-redis.js';

const runnable = await canRunRedisServer();
let cluster: LocalCluster;
let hubs = 0;

beforeAll(async () => {
  if (runnable) cluster = await localCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.dispose();
});

describe.skipIf(!runnable)('redisBroker on a Redis Cluster', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const instance = (
    library: ClusterLibrary,
    key: string,
    options: Parameters<typeof clusterInstance>[4] = {},
  ): Promise<ClusterInstance> => clusterInstance(library, cluster.seeds, key, cleanups, options);

  describe.each(CLUSTER_LIBRARIES)('with $name', (library) => {
    it('delivers events published on one instance to subscribers on another, partitions on every master', async () => {
      const key = `ssekit:{cluster${++hubs}}`;
      const [a, b] = [await instance(library, key), await instance(library, key)];
      const topics = Array.from({ length: 24 }, (_, n) => `user:{${n}}:inbox`);
      const readers = topics.map((topic) => b.open([topic]));
      await until(() => b.hub.stats().openStreams === topics.length, 'every client subscribed');
      const ids = await Promise.all(topics.map((topic) => a.hub.publish(topic, { data: topic })));
      await until(
        () => readers.every((reader) => data(reader).length === 1),
        () =>
          `one event each ${library.name} ${JSON.stringify(readers.map((r, n) => [n, ids[n], data(r)]))}`,
      );
      readers.forEach((reader, n) => {
        expect(data(reader)).toEqual([topics[n]]);
        expect(reader.events.at(-1)?.id).toBe(ids[n]);
      });
      const masters = new Set(
        await Promise.all(
          ids.map(async (id) => (await cluster.masterOf(partitionKey(key, id))).port),
        ),
      );
      expect(masters.size).toBe(3);
      // Live in both directions, several events per topic, in order.
      const more = topics.slice(0, 6);
      for (let round = 0; round < 5; round++) {
        await Promise.all(more.map((topic) => b.hub.publish(topic, { data: `${topic} ${round}` })));
      }
      const back = more.map((topic) => a.open([topic]));
      await until(() => a.hub.stats().openStreams === more.length, 'clients on a');
      await Promise.all(more.map((topic) => b.hub.publish(topic, { data: `${topic} last` })));
      await until(
        () => back.every((reader, n) => data(reader).at(-1) === `${more[n]} last`),
        'the last event on a',
      );
      more.forEach((topic, n) => {
        const sequence = [
          topic,
          ...[0, 1, 2, 3, 4].map((round) => `${topic} ${round}`),
          `${topic} last`,
        ];
        expect(data(readers[n] as FetchReader)).toEqual(sequence);
        // A first subscriber may also get the few events stamped just before it came (Redis's
        // clock, start-position.ts): a suffix of the sequence, in order, without duplicates.
        const got = data(back[n] as FetchReader);
        expect(got).toEqual(sequence.slice(sequence.length - got.length));
      });
    });

    it('resumes clients on another instance from partitions on different masters, with exactly what they missed', async () => {
      const key = `ssekit:{cluster${++hubs}}`;
      const [a, b] = [await instance(library, key), await instance(library, key)];
      const topics = Array.from({ length: 12 }, (_, n) => `device:{${n}}`);
      const firsts = await Promise.all(
        topics.map((topic) => a.hub.publish(topic, { data: 'seen' })),
      );
      const masters = new Set(
        await Promise.all(
          firsts.map(async (id) => (await cluster.masterOf(partitionKey(key, id))).port),
        ),
      );
      expect(masters.size).toBe(3);
      for (let round = 0; round < 4; round++) {
        await Promise.all(topics.map((topic) => a.hub.publish(topic, { data: `missed ${round}` })));
      }
      const resumed = topics.map((topic, n) => b.open([topic], firsts[n]));
      await until(() => resumed.every((reader) => data(reader).length === 4), 'the missed events');
      for (const reader of resumed) {
        expect(data(reader)).toEqual(['missed 0', 'missed 1', 'missed 2', 'missed 3']);
      }
      await Promise.all(topics.map((topic) => a.hub.publish(topic, { data: 'live' })));
      await until(() => resumed.every((reader) => data(reader).length === 5), 'the live event');
    });

    it('keeps one partition on the stream key itself when partitions is 1 (key with a hash tag)', async () => {
      const key = `ssekit:{cluster${++hubs}}`;
      const [a, b] = [
        await instance(library, key, { partitions: 1 }),
        await instance(library, key, { partitions: 1 }),
      ];
      const reader = b.open(['news']);
      await until(() => b.hub.stats().openStreams === 1, 'subscribed');
      const id = await a.hub.publish('news', { data: 'one' });
      expect(id).toMatch(/^\d{13}-\d+$/);
      await until(() => data(reader).length === 1, 'the event');
      const resumed = a.open(['news'], id);
      await a.hub.publish('news', { data: 'two' });
      await until(() => data(resumed).length === 1, 'the next event on a');
      expect(data(resumed)).toEqual(['two']);
    });

    it('refuses, at construction, a key without a hash tag for one partition', async () => {
      const client = await library.connected(cluster.seeds);
      cleanups.push(() => library.close(client));
      for (const key of ['ssekit:events', 'ssekit:{}events', 'ssekit:}{']) {
        expect(() => redisBroker({ client, key })).toThrow(
          expect.objectContaining({
            name: 'TypeError',
            message: expect.stringContaining('"key" must have a hash tag on a Redis Cluster'),
          }),
        );
      }
      expect(() => redisBroker({ client, key: 'ssekit:events', partitions: 0 })).toThrow(TypeError);
      expect(() => redisBroker({ client, key: 'ssekit:events', partitions: 2.5 })).toThrow(
        TypeError,
      );
      // With more partitions each partition key gets a hash tag of its own.
      const broker = redisBroker({
        client,
        key: 'ssekit:events',
        partitions: 4,
        onError: () => {},
      });
      await broker.close();
    });
  });

  it('refuses a cluster client that cannot send any command (so cannot run the append script)', () => {
    const scriptless = { isCluster: true, status: 'ready', on() {}, off() {} };
    expect(() => redisBroker({ client: scriptless as never, key: 'ssekit:{x}' })).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        message: expect.stringContaining('cannot run its append script'),
      }),
    );
  });
});
