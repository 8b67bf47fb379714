/**
 * Live delivery behind what a replay can read (Redis: XRANGE and HGETALL see an entry before the
 * instance's read loop hands it on), and topics added to the stream meanwhile: a replay or a
 * snapshot sends nothing newer than live delivery has brought, each event goes out once, and ids
 * never go back. Live delivery here trails publish, as a Redis read loop does; replays and
 * snapshots read the history at once; and on real Redis, the read loop behind a 32 MiB burst from
 * another instance. Real sockets, a fetch reader with eventsource-parser.
 */
import { createHub, type SseStream } from '@ssekit/core';
import { type Broker, compareIds, localBroker } from '@ssekit/core/broker';
import { redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  deleteKeysUnder,
  REDIS_URL,
  randomPrefix,
  redisIsAvailable,
} from '../redis/support/redis.js';
import { until } from '../support/wait.js';
import { laggyDelivery } from './support/brokers.js';
import { type FetchReader, fetchReader } from './support/clients.js';
import { hubTest } from './support/fixture.js';

const { readers, serve } = hubTest();
const redisAvailable = await redisIsAvailable('live delivery behind the replay, on redis');
const prefix = randomPrefix();
afterAll(() => (redisAvailable ? deleteKeysUnder(prefix) : undefined));

/** Live delivery (and the cursor) trail publish by `ms`, over a broker with a snapshot. */
function trailing(ms: number): Broker {
  const inner = localBroker();
  return { ...laggyDelivery(inner, ms), snapshot: inner.snapshot };
}

/** The payloads of the events the client got, signals left out. */
const received = (reader: FetchReader) =>
  reader.events.filter((event) => event.event === undefined).map((event) => event.data);

const arrived = (reader: FetchReader, data: string) =>
  until(() => received(reader).includes(data), data);

/** A hub whose live delivery trails publish by 300 ms, once a0 was published and delivered. */
async function startedWithA0() {
  const broker = trailing(300);
  const { hub, server } = await serve({ broker }, { stream: { heartbeat: false } });
  const first = await hub.publish('a', { data: 'a0' });
  await until(() => broker.cursor() === first, 'live delivery of a0');
  return { hub, server, first };
}

/** The ids of the events the client got, signals left out, that are older than the one before. */
const backwards = (reader: FetchReader) => {
  const ids = reader.events.flatMap((event) =>
    event.event === undefined && event.id !== undefined ? [event.id] : [],
  );
  return ids.filter((id, i) => i > 0 && compareIds(id, ids[i - 1] as string) < 0);
};

describe('a topic added while live delivery trails publish', () => {
  it('its replay sends nothing newer than live delivery: the held topic never goes back', async () => {
    const { hub, server, first } = await startedWithA0();
    const reader = fetchReader(`${server.url}?topics=a`, first);
    readers.push(reader);
    await until(() => hub.stats().replaysServed === 1, 'a live');
    void hub.publish('a', { data: 'a1' });
    await hub.publish('b', { data: 'b1' });
    // b's replay finds b1 in the history before live delivery has brought a1, older than it.
    hub.subscribe(server.streams[0] as SseStream, 'b');
    await arrived(reader, 'a1');
    await arrived(reader, 'b1');
    expect(received(reader)).toEqual(['a1', 'b1']);
    expect(backwards(reader)).toEqual([]);
  });

  it('its snapshot sends nothing newer than live delivery: the other topic never goes back', async () => {
    const broker = trailing(300);
    const { hub, server } = await serve(
      { broker, latestValue: (topic) => topic === 'prices' },
      { stream: { heartbeat: false } },
    );
    const before = await hub.publish('prices', { data: 'AAPL=1' }, { key: 'AAPL' });
    await until(() => broker.cursor() === before, 'live delivery of AAPL=1');
    const reader = fetchReader(`${server.url}?topics=news`);
    readers.push(reader);
    await until(() => hub.stats().openStreams === 1, 'news live');
    void hub.publish('news', { data: 'n1' });
    await hub.publish('prices', { data: 'AAPL=2' }, { key: 'AAPL' });
    // The snapshot holds AAPL=2 before live delivery has brought n1, older than it.
    hub.subscribe(server.streams[0] as SseStream, 'prices');
    await arrived(reader, 'n1');
    await arrived(reader, 'AAPL=2');
    expect(received(reader)).toEqual(['n1', 'AAPL=2']);
    expect(backwards(reader)).toEqual([]);
  });
});

describe('a client resuming with an id live delivery has not brought yet', () => {
  it('then a topic added: the events up to its id are not sent when live delivery brings them', async () => {
    const { hub, server, first } = await startedWithA0();
    let ahead = first;
    for (let i = 1; i <= 3; i++) ahead = await hub.publish('a', { data: `a${i}` });
    // The client got a1..a3 from another instance: it resumes from a3, ahead of this one.
    const reader = fetchReader(`${server.url}?topics=a`, ahead);
    readers.push(reader);
    await until(() => hub.stats().replaysServed === 1, 'the replay of a');
    hub.subscribe(server.streams[0] as SseStream, 'b');
    await hub.publish('b', { data: 'b1' });
    // Live delivery is in order: once a4 is here, a1..a3 came live before it.
    await hub.publish('a', { data: 'a4' });
    await arrived(reader, 'a4');
    expect(received(reader)).toEqual(['b1', 'a4']);
  });
});

describe('on Redis, a read loop behind a burst from another instance', () => {
  it.skipIf(!redisAvailable)(
    'a latest-value topic added: its snapshot does not take the stream back',
    { timeout: 60_000 },
    async () => {
      const client = createClient({ url: REDIS_URL });
      client.on('error', () => {});
      await client.connect();
      const key = `${prefix}${Math.random().toString(36).slice(2)}`;
      const broker = () => redisBroker({ client, key, onError: () => {} });
      const latestValue = (topic: string) => topic === 'prices';
      const other = createHub({ broker: broker(), latestValue, onError: () => {} });
      try {
        const { hub, server } = await serve(
          { broker: broker(), latestValue, onError: () => {} },
          { stream: { heartbeat: false } },
        );
        await other.publish('prices', { data: 'AAPL=0' }, { key: 'AAPL' });
        const reader = fetchReader(`${server.url}?topics=news`);
        readers.push(reader);
        await until(() => hub.stats().openStreams === 1, 'news live');
        // 32 MiB from the other instance: this one's read loop is far behind HGETALL.
        const payload = 'x'.repeat(16 * 1024);
        const burst: Promise<string>[] = [];
        for (let i = 0; i < 2000; i++)
          burst.push(other.publish('news', { data: `n${i} ${payload}` }));
        burst.push(other.publish('prices', { data: 'AAPL=1' }, { key: 'AAPL' }));
        await Promise.all(burst);
        hub.subscribe(server.streams[0] as SseStream, 'prices');
        // 32 MiB through Redis and one SSE reader take seconds on a loaded 2-core machine (one
        // CI leg waited out 10 s); what is checked is the order, not the speed.
        const lastOfBurst = () => received(reader).some((data) => data.startsWith('n1999 '));
        await until(() => received(reader).includes('AAPL=1'), 'AAPL=1', 25_000);
        await until(lastOfBurst, 'the burst', 25_000);
        expect(backwards(reader)).toEqual([]);
        // AAPL=0 may come first (the value as of this instance's position), each value once.
        const values = received(reader).filter((data) => data.startsWith('AAPL'));
        expect(values.at(-1)).toBe('AAPL=1');
        expect(new Set(values).size).toBe(values.length);
      } finally {
        await other.close();
        client.destroy();
      }
    },
  );
});
