/**
 * `partitions` through the hub, over HTTP, with fetch + eventsource-parser clients and two
 * instances on one real Redis: topics spread over partition keys, live delivery across
 * instances, resume that reads the client's partition only, reading only the partitions local
 * subscribers need, and resets (never silence) for ids the partitions cannot serve.
 */
import { createHub, type Hub, RESET_EVENT } from '@ssekit/core';
import { type RedisBroker, redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { toConnection } from '../../packages/redis/src/connection/to-connection.js';
import { type FetchReader, fetchReader } from '../hub/support/clients.js';
import { type HubServer, serveHub } from '../hub/support/server.js';
import { sleep, until } from '../support/wait.js';
import { type CountingConnection, countingConnection } from './support/counting.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis partitions');
const prefix = randomPrefix();
let keys = 0;

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

interface Instance {
  hub: Hub;
  broker: RedisBroker;
  server: HubServer;
  counted: CountingConnection;
  /** Opens a client on `topics`, resuming from `lastEventId` when given. */
  open(topics: readonly string[], lastEventId?: string): FetchReader;
}

describe.skipIf(!available)('a hub on partitioned Redis streams', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const instance = async (
    key: string,
    options: Partial<Parameters<typeof redisBroker>[0]> = {},
  ): Promise<Instance> => {
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    await client.connect();
    const counted = countingConnection(toConnection(client, 'client'));
    const broker = redisBroker({
      client: counted.connection,
      key,
      partitions: 8,
      onError: () => {},
      ...options,
    });
    const hub = createHub({ broker });
    const server = await serveHub(hub, { stream: { heartbeat: false } });
    const readers: FetchReader[] = [];
    cleanups.push(async () => {
      for (const reader of readers) reader.abort();
      await server.close();
      await hub.close();
      client.destroy();
    });
    await broker.ready();
    const open = (topics: readonly string[], lastEventId?: string) => {
      const reader = fetchReader(`${server.url}?topics=${topics.join(',')}`, lastEventId);
      readers.push(reader);
      return reader;
    };
    return { hub, broker, server, counted, open };
  };

  const newKey = () => `${prefix}{hub${++keys}}`;
  const data = (reader: FetchReader) =>
    reader.events.filter((event) => event.event === undefined).map((event) => event.data);
  /** The Redis keys under `key`'s tag that hold streams. */
  const streamKeys = async (key: string) => {
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    try {
      const found: string[] = [];
      const tag = key.slice(key.indexOf('{') + 1, -1);
      for await (const batch of client.scanIterator({
        MATCH: `${prefix}{${tag}:*}`,
        COUNT: 1000,
      })) {
        for (const one of batch) if ((await client.type(one)) === 'stream') found.push(one);
      }
      return found.sort();
    } finally {
      client.destroy();
    }
  };

  it('spreads topics over partition keys and delivers each to its subscribers on every instance', async () => {
    const key = newKey();
    const [a, b] = [await instance(key), await instance(key)];
    const topics = Array.from({ length: 24 }, (_, n) => `user:{${n}}:inbox`);
    const readers = topics.map((topic) => b.open([topic]));
    await until(() => b.hub.stats().openStreams === topics.length, 'every client subscribed');
    const ids = await Promise.all(topics.map((topic) => a.hub.publish(topic, { data: topic })));
    await until(() => readers.every((reader) => data(reader).length === 1), 'one event each');
    readers.forEach((reader, n) => {
      expect(data(reader)).toEqual([topics[n]]);
      expect(reader.events.at(-1)?.id).toBe(ids[n]);
    });
    const partitionsUsed = new Set(ids.map((id) => id.slice(4, 7)));
    expect(ids.every((id) => /^1008\d{16}-\d+$/.test(id))).toBe(true);
    expect(partitionsUsed.size).toBeGreaterThan(4);
    const stored = await streamKeys(key);
    expect(stored).toEqual(
      [...partitionsUsed].map((partition) => `${prefix}{hub${keys}:${Number(partition)}}`).sort(),
    );
  });

  it('resumes a client on another instance from its partition only, with exactly what it missed', async () => {
    const key = newKey();
    const [a, b] = [await instance(key), await instance(key)];
    const mine = ['user:{7}:inbox', 'user:{7}:presence'];
    const first = a.open(mine);
    await until(() => a.hub.stats().openStreams === 1, 'the client subscribed');
    await a.hub.publish(mine[0] as string, { data: 'seen' });
    await until(() => data(first).length === 1, 'the first event');
    first.abort();
    const lastId = first.events.at(-1)?.id as string;
    // Busy topics on every other partition, and the events the client misses, interleaved.
    const others = Array.from({ length: 40 }, (_, n) => `feed:${n}`).filter(
      (topic) => topic.length > 0,
    );
    const missed: string[] = [];
    for (let round = 0; round < 5; round++) {
      await Promise.all(others.map((topic) => a.hub.publish(topic, { data: 'noise' })));
      const topic = mine[round % 2] as string;
      missed.push(`missed ${round}`);
      await a.hub.publish(topic, { data: `missed ${round}` });
    }
    b.counted.commands.length = 0;
    const resumed = b.open(mine, lastId);
    await until(() => data(resumed).length === missed.length, 'the missed events');
    expect(data(resumed)).toEqual(missed);
    const partitionKey = `${prefix}{hub${keys}:${Number(lastId.slice(4, 7))}}`;
    const pageReads = b.counted.commands.filter(([name]) => name === 'XRANGE');
    expect(pageReads.length).toBeGreaterThan(0);
    const keysTouched = new Set(
      b.counted.commands.flat().filter((arg) => arg.startsWith(`${prefix}{hub${keys}`)),
    );
    // The partition's stream, and its record of entry sizes (entry-sizes.ts).
    expect([...keysTouched].sort()).toEqual([partitionKey, `${partitionKey}:sizes`]);
    await a.hub.publish(mine[1] as string, { data: 'live' });
    await until(() => data(resumed).length === missed.length + 1, 'the live event');
  });

  it('reads no partition without local subscribers, and reads one as soon as a client needs it', async () => {
    const key = newKey();
    const quiet = await instance(key, { blockMs: 60_000 });
    const publisher = await instance(key);
    const reads = () => quiet.counted.commands.filter(([name]) => name === 'XREAD');
    await Promise.all(
      Array.from({ length: 50 }, (_, n) => publisher.hub.publish(`feed:${n}`, { data: 'x' })),
    );
    expect(reads()).toEqual([]);
    // A client on one partition: the loop blocks on that partition alone (for up to 60 s).
    const one = quiet.open(['user:{1}:inbox']);
    await until(() => reads().length > 0, 'a read');
    const partitionOf = (topic: string) =>
      publisher.hub.publish(topic, { data: topic }).then((id) => Number(id.slice(4, 7)));
    const firstPartition = await partitionOf('user:{1}:inbox');
    await until(() => data(one).length === 1, "the first client's event");
    const streamsRead = (command: string[]) => {
      const keysRead = command.slice(command.indexOf('STREAMS') + 1);
      return keysRead.slice(0, keysRead.length / 2);
    };
    expect(streamsRead(reads().at(-1) as string[])).toEqual([
      `${prefix}{hub${keys}:${firstPartition}}`,
    ]);
    // A client on another partition while that read waits: it is read at once, not in 60 s.
    let topic = 'user:{2}:inbox';
    for (let n = 2; (await partitionOf(topic)) === firstPartition; n++) topic = `user:{${n}}:inbox`;
    const two = quiet.open([topic]);
    await until(() => quiet.hub.stats().openStreams === 2, 'the second client subscribed');
    await publisher.hub.publish(topic, { data: 'for two' });
    await until(
      () => data(two).includes('for two'),
      () =>
        `the second client's event ${JSON.stringify(quiet.counted.commands.filter(([n]) => n !== 'EVALSHA'))}`,
    );
    expect(streamsRead(reads().at(-1) as string[])).toHaveLength(2);
    // Both leave: the loop reads nothing more.
    one.abort();
    two.abort();
    await until(() => quiet.hub.stats().openStreams === 0, 'both clients gone');
    await publisher.hub.publish(topic, { data: 'nobody listens' });
    const count = reads().length;
    await publisher.hub.publish('user:{1}:inbox', { data: 'nobody listens' });
    await until(() => reads().length <= count + 1, 'no more reads');
    expect(reads().length).toBeLessThanOrEqual(count + 1);
  });

  it('resets a client whose id came from another partition count or whose topics span partitions', async () => {
    const key = newKey();
    const partitioned = await instance(key);
    const single = await instance(`${key}:single`, { partitions: 1 });
    const oldId = await single.hub.publish('user:{1}:inbox', { data: 'before partitions' });
    const idOfOne = await partitioned.hub.publish('user:{1}:inbox', { data: 'one' });
    let elsewhere = 'user:{2}:inbox';
    for (
      let n = 2;
      (await partitioned.hub.publish(elsewhere, { data: 'x' })).slice(4, 7) === idOfOne.slice(4, 7);
      n++
    ) {
      elsewhere = `user:{${n}}:inbox`;
    }
    // Nothing is published from here on: a first subscriber may also get what was stamped within
    // the time its start read waited on Redis (start-position.ts; 100 ms or more under load),
    // which would not be a replay.
    await sleep(1_000);
    const fromOldLayout = partitioned.open(['user:{1}:inbox'], oldId);
    const spanning = partitioned.open(['user:{1}:inbox', elsewhere], idOfOne);
    const fromSingle = single.open(['user:{1}:inbox'], idOfOne);
    const resets = (reader: FetchReader) =>
      reader.events.filter((event) => event.event === RESET_EVENT).length;
    await until(
      () => [fromOldLayout, spanning, fromSingle].every((reader) => resets(reader) === 1),
      'one reset each',
    );
    expect([fromOldLayout, spanning, fromSingle].map(data)).toEqual([[], [], []]);
  });
});
