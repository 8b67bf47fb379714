/**
 * One stream, many subscribe calls: subscribing again and unsubscribing, thousands of times or
 * with overlapping topics, leaves nothing behind, tells the client nothing twice, and delivers
 * each event once.
 */
import {
  CURSOR_EVENT,
  createHub,
  type Hub,
  type HubOptions,
  RESET_EVENT,
  type SseStream,
} from '@ssekit/core';
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
import { snapshot } from '../reliability/support/measure.js';
import { until } from '../support/wait.js';
import { slowReplay } from './support/brokers.js';
import { type FetchReader, fetchReader, sequence } from './support/clients.js';
import { hubTest } from './support/fixture.js';

const { readers, serve } = hubTest();

const redisAvailable = await redisIsAvailable('hub subscriptions on redis');
const prefix = randomPrefix();
const redisClient = createClient({ url: REDIS_URL });
redisClient.on('error', () => {});
afterAll(async () => {
  if (!redisAvailable) return;
  await deleteKeysUnder(prefix);
  await redisClient.close();
});

interface BrokerRow {
  readonly name: string;
  /** Hub options with a fresh broker; `slowReplayMs` makes its replays trickle in late. */
  make(options?: { slowReplayMs?: number }): Promise<HubOptions>;
}

/** The in-process broker, and Redis when it is there (with CI set, it must be). */
function brokerRows(): BrokerRow[] {
  const slow = (broker: Broker, ms?: number) =>
    ms === undefined ? broker : slowReplay(broker, ms);
  const rows: BrokerRow[] = [
    {
      name: 'in-process',
      make: async (options) => ({ broker: slow(localBroker(), options?.slowReplayMs) }),
    },
  ];
  let keys = 0;
  if (redisAvailable) {
    rows.push({
      name: 'redis',
      async make(options) {
        if (!redisClient.isOpen) await redisClient.connect();
        keys += 1;
        const broker = redisBroker({ client: redisClient, key: `${prefix}late${keys}` });
        await broker.ready();
        return { broker: slow(broker, options?.slowReplayMs) };
      },
    });
  }
  return rows;
}

const CYCLES = 10_000;
/**
 * Heap growth allowed over all the cycles, after a full collection: a fraction of the few hundred
 * bytes a leaked subscription costs, times the cycles.
 */
const HEAP_MARGIN = 256 * 1024;

const cursors = (events: ReadonlyArray<{ event?: string }>) =>
  events.filter((event) => event.event === CURSOR_EVENT).length;

async function oneClient(query = '') {
  const { hub, server } = await serve();
  const reader = fetchReader(`${server.url}${query}`);
  readers.push(reader);
  await until(() => cursors(reader.events) === 1, 'the first cursor');
  return { hub, reader, stream: server.streams[0] as SseStream };
}

describe('subscribe/unsubscribe cycles on one open stream', () => {
  it(`${CYCLES} cycles leave the heap flat`, async () => {
    const { hub, reader, stream } = await oneClient();
    const cycle = () => hub.subscribe(stream, 'u')();
    // Warm up, so code compiled and structures sized on first use are in the baseline.
    for (let i = 0; i < 1000; i++) cycle();
    const before = await snapshot();
    for (let i = 0; i < CYCLES; i++) cycle();
    const after = await snapshot();
    expect(after.heapUsed - before.heapUsed).toBeLessThan(HEAP_MARGIN);
    expect(hub.stats()).toMatchObject({ openStreams: 1, subscribers: { t: 1 } });
    await hub.publish('t', { data: { seq: 1 } });
    await until(() => sequence(reader.events).length === 1, 'the live event');
  });

  it('send a cursor only when the position moved on', async () => {
    const { hub, reader, stream } = await oneClient();
    for (let i = 0; i < 100; i++) hub.subscribe(stream, 'u')();
    await hub.publish('u', { data: { seq: 1 } });
    const position = await hub.publish('t', { data: { seq: 2 } });
    for (let i = 0; i < 100; i++) hub.subscribe(stream, 'u')();
    await hub.publish('t', { data: { seq: 3 } });
    await until(() => sequence(reader.events).length === 2, 'the live events');
    expect(sequence(reader.events)).toEqual([2, 3]);
    const given = reader.events.filter((event) => event.event === CURSOR_EVENT);
    expect(given.map((event) => event.id)).toEqual([given[0]?.id, position]);
  });
});

/** The events published so far, by topic, in the order the client got them. */
const received = (events: ReadonlyArray<{ event?: string; data: string }>) =>
  events
    .filter((event) => event.event === undefined)
    .map((event) => (JSON.parse(event.data) as { topic: string }).topic);

describe('subscribing a stream to a topic it already has', () => {
  it('delivers each event once, and keeps the topic until every subscribe is undone', async () => {
    const { hub, reader, stream } = await oneClient();
    const second = hub.subscribe(stream, 't');
    const third = hub.subscribe(stream, ['t']);
    expect(hub.stats()).toMatchObject({ openStreams: 1, subscribers: { t: 1 } });
    await hub.publish('t', { data: { topic: 't1' } });

    second();
    second();
    await hub.publish('t', { data: { topic: 't2' } });
    third();
    // The server's own subscription still holds the topic.
    await hub.publish('t', { data: { topic: 't3' } });
    await until(() => received(reader.events).length >= 3, 'three events');
    expect(received(reader.events)).toEqual(['t1', 't2', 't3']);
    expect(cursors(reader.events)).toBe(1);
    expect(hub.stats()).toMatchObject({ openStreams: 1, subscribers: { t: 1 } });
  });

  it('with overlapping topic lists, adds only the new topics and delivers each event once', async () => {
    const { hub, reader, stream } = await oneClient('?topics=a,b');
    const overlapping = hub.subscribe(stream, ['b', 'c']);
    expect(hub.stats().subscribers).toEqual({ a: 1, b: 1, c: 1 });
    for (const topic of ['a', 'b', 'c']) await hub.publish(topic, { data: { topic } });

    overlapping();
    expect(hub.stats().subscribers).toEqual({ a: 1, b: 1 });
    for (const topic of ['a', 'b', 'c']) await hub.publish(topic, { data: { topic } });
    await until(() => received(reader.events).length >= 5, 'five events');
    expect(received(reader.events)).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(cursors(reader.events)).toBe(1);
  });

  it('refuses a different filter on a topic the stream has, subscribing nothing', async () => {
    const { hub, reader, stream } = await oneClient('?topics=a,b');
    const mine = () => true;
    expect(() => hub.subscribe(stream, ['c', 'b'], { filter: mine })).toThrow(
      Object.assign(
        new TypeError(
          'ssekit: this stream is already subscribed to "b" with no filter; nothing was subscribed. A stream gets each event of a topic once, through one filter: pass the same filter, or call the unsubscribe function of the first subscribe before subscribing again.',
        ),
        { code: 'ERR_SSE_FILTER_CONFLICT' },
      ),
    );
    const filtered = hub.subscribe(stream, 'c', { filter: mine });
    expect(() => hub.subscribe(stream, 'c', { filter: () => true })).toThrow(/another filter/);
    expect(() => hub.subscribe(stream, 'c')).toThrow(TypeError);
    hub.subscribe(stream, 'c', { filter: mine });
    expect(hub.stats().subscribers).toEqual({ a: 1, b: 1, c: 1 });
    filtered();
    for (const topic of ['a', 'b', 'c']) await hub.publish(topic, { data: { topic } });
    await until(() => received(reader.events).length >= 3, 'three events');
    expect(received(reader.events)).toEqual(['a', 'b', 'c']);
  });
});

describe('a stream and a second hub', () => {
  it('is refused with a TypeError naming the fix, and keeps its first hub', async () => {
    const { hub, reader, stream } = await oneClient('?topics=a');
    const other = createHub();
    try {
      expect(() => other.subscribe(stream, 'b')).toThrow(
        expect.objectContaining({
          name: 'TypeError',
          code: 'ERR_SSE_INVALID_ARGUMENT',
          message: expect.stringMatching(/another hub.*served by one hub.*through one hub/),
        }),
      );
      expect(other.stats().subscribers).toEqual({});
      await hub.publish('a', { data: { topic: 'a' } });
      await until(() => received(reader.events).length >= 1, "the first hub's event");
      expect(received(reader.events)).toEqual(['a']);
    } finally {
      await other.close();
    }
  });
});

describe('more subscribe calls on a stream that resumed with a Last-Event-ID', () => {
  async function resumed(lastEventId: (first: string) => string) {
    const { hub, server } = await serve();
    const first = await hub.publish('t', { data: { topic: 't0' } });
    await hub.publish('t', { data: { topic: 't1' } });
    await hub.publish('u', { data: { topic: 'u1' } });
    const reader = fetchReader(server.url, lastEventId(first));
    readers.push(reader);
    await until(() => server.streams.length === 1 && hub.stats().replaysServed === 1, 'replay');
    return { hub, reader, stream: server.streams[0] as SseStream };
  }

  it('replay each topic once: a topic joined again is not replayed again', async () => {
    const { hub, reader, stream } = await resumed((first) => first);
    const leave = hub.subscribe(stream, 'u');
    await until(() => received(reader.events).includes('u1'), 'the replay of u');
    leave();
    hub.subscribe(stream, 'u');
    await hub.publish('t', { data: { topic: 't2' } });
    await until(() => received(reader.events).includes('t2'), 'the live event');
    await hub.publish('u', { data: { topic: 'u2' } });
    await until(() => received(reader.events).includes('u2'), 'the last event');
    expect(received(reader.events)).toEqual(['t1', 'u1', 't2', 'u2']);
  });

  /** A resumed stream, with `u2`..`u5` retained too, so a replay of `u` has more to send. */
  async function resumedWithMoreOfU() {
    const client = await resumed((first) => first);
    for (let i = 2; i <= 5; i++) await client.hub.publish('u', { data: { topic: `u${i}` } });
    return client;
  }

  /** Subscribes `stream` to `u` again: the client must end with every event once, in order. */
  async function rejoinGetsEveryEventOnce(hub: Hub, reader: FetchReader, stream: SseStream) {
    hub.subscribe(stream, 'u');
    await hub.publish('u', { data: { topic: 'u6' } });
    await until(() => received(reader.events).includes('u6'), 'the live event');
    expect(received(reader.events)).toEqual(['t1', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6']);
  }

  it('a topic left before its replay finished is replayed when subscribed again', async () => {
    const { hub, reader, stream } = await resumedWithMoreOfU();
    // What the filter-mismatch TypeError tells a user to do: unsubscribe, then subscribe again.
    const filtered = hub.subscribe(stream, 'u', { filter: () => true });
    filtered();
    await rejoinGetsEveryEventOnce(hub, reader, stream);
  });

  it('a topic left halfway through its replay resumes where that replay stopped', async () => {
    const { hub, reader, stream } = await resumedWithMoreOfU();
    const leave = hub.subscribe(stream, 'u', {
      filter: (message) => {
        if ((message.data as { topic: string }).topic === 'u3') leave();
        return true;
      },
    });
    await until(() => received(reader.events).includes('u3'), 'the first replay');
    await rejoinGetsEveryEventOnce(hub, reader, stream);
  });

  it('a second topic subscribed in its own call is replayed too', async () => {
    const { hub, reader, stream } = await resumed((first) => first);
    hub.subscribe(stream, ['t', 'u']);
    await until(() => received(reader.events).length >= 2, 'the replays');
    await hub.publish('u', { data: { topic: 'u2' } });
    await until(() => received(reader.events).includes('u2'), 'the live event');
    expect(received(reader.events)).toEqual(['t1', 'u1', 'u2']);
  });

  it('topics replayed for subscribe calls made in a row go out in id order, each event once', async () => {
    const { hub, server } = await serve();
    const first = await hub.publish('a', { data: { seq: 0 } });
    for (let seq = 1; seq <= 6; seq++) await hub.publish(seq % 2 ? 'a' : 'b', { data: { seq } });
    const reader = fetchReader(`${server.url}?topics=a;b`, first);
    readers.push(reader);
    await until(() => sequence(reader.events).length === 6, 'the replay');
    await hub.publish('b', { data: { seq: 7 } });
    await until(() => sequence(reader.events).length === 7, 'the live event');
    expect(sequence(reader.events)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // No id older than one the client already has: its Last-Event-ID never skips an event.
    const counts = reader.events.map((event) => Number(event.id?.split('-')[1]));
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
  });

  it('an id that cannot be replayed gets one reset, however many subscribe calls follow', async () => {
    const { hub, reader, stream } = await resumed(() => '1-1');
    for (let i = 0; i < 100; i++) hub.subscribe(stream, 'u')();
    hub.subscribe(stream, 'v');
    await hub.publish('v', { data: { topic: 'v1' } });
    await until(() => received(reader.events).includes('v1'), 'the live event');
    expect(reader.events.filter((event) => event.event === RESET_EVENT)).toHaveLength(1);
    expect(cursors(reader.events)).toBe(0);
    expect(received(reader.events)).toEqual(['v1']);
  });
});

describe.each(brokerRows())('a topic added after an await, $name', ({ make }) => {
  /**
   * The ids of the events and resets the client got, in arrival order. Not of cursors: a cursor
   * only marks a position its topics were quiet up to, so a topic added later may be replayed
   * from behind it without sending the client anything twice.
   */
  const ids = (events: ReadonlyArray<{ id?: string; event?: string }>) =>
    events.flatMap((event) =>
      event.id === undefined || event.event === CURSOR_EVENT ? [] : [event.id],
    );
  const backwards = (list: readonly string[]) =>
    list.filter((id, index) => index > 0 && compareIds(id, list[index - 1] as string) < 0);

  it('never moves the client back: events it passed are a reset, not a late replay', async () => {
    const { hub, server } = await serve(await make());
    const first = await hub.publish('a', { data: { topic: 'a0' } });
    await hub.publish('a', { data: { topic: 'a1' } });
    await hub.publish('b', { data: { topic: 'b1' } });
    const reader = fetchReader(`${server.url}?topics=a`, first);
    readers.push(reader);
    await until(() => received(reader.events).includes('a1'), 'the replay of a');
    const position = await hub.publish('a', { data: { topic: 'a2' } });
    await until(() => received(reader.events).includes('a2'), 'a live event of a');
    // What a route does after an await: the stream has newer events than b1 by now.
    hub.subscribe(server.streams[0] as SseStream, 'b');
    await hub.publish('b', { data: { topic: 'b2' } });
    await until(() => received(reader.events).includes('b2'), 'a live event of b');
    expect(backwards(ids(reader.events))).toEqual([]);
    expect(received(reader.events)).toEqual(['a1', 'a2', 'b2']);
    // b1 cannot come after a2 without moving the client back: the client is told, not left short.
    const resets = reader.events.filter((event) => event.event === RESET_EVENT);
    expect(resets.map(({ id, data }) => ({ id, data }))).toEqual([
      { id: position, data: 'events-lost' },
    ]);
  });

  it('replays a topic added later in order when the stream has nothing newer yet', async () => {
    const { hub, server } = await serve(await make());
    const first = await hub.publish('a', { data: { topic: 'a0' } });
    await hub.publish('b', { data: { topic: 'b1' } });
    await hub.publish('b', { data: { topic: 'b2' } });
    const reader = fetchReader(`${server.url}?topics=a`, first);
    readers.push(reader);
    await until(() => hub.stats().replaysServed === 1, 'the replay of a');
    hub.subscribe(server.streams[0] as SseStream, 'b');
    await hub.publish('a', { data: { topic: 'a1' } });
    await until(() => received(reader.events).includes('a1'), 'a live event');
    expect(received(reader.events)).toEqual(['b1', 'b2', 'a1']);
    expect(backwards(ids(reader.events))).toEqual([]);
    expect(reader.events.filter((event) => event.event === RESET_EVENT)).toEqual([]);
  });

  it('holds live events of the other topics while the added topic replays', async () => {
    const { hub, server } = await serve(await make({ slowReplayMs: 20 }));
    const first = await hub.publish('a', { data: { topic: 'a0' } });
    for (let i = 1; i <= 3; i++) await hub.publish('b', { data: { topic: `b${i}` } });
    const reader = fetchReader(`${server.url}?topics=a`, first);
    readers.push(reader);
    await until(() => hub.stats().replaysServed === 1, 'the replay of a');
    hub.subscribe(server.streams[0] as SseStream, 'b');
    // Live events of a while b's replay pages trickle in: they must wait for b1..b3.
    for (let i = 1; i <= 3; i++) await hub.publish('a', { data: { topic: `a${i}` } });
    await until(() => received(reader.events).length === 6, 'every event');
    expect(received(reader.events)).toEqual(['b1', 'b2', 'b3', 'a1', 'a2', 'a3']);
    expect(backwards(ids(reader.events))).toEqual([]);
  });

  it('a topic added while another replays waits its turn; ids never go back', async () => {
    const { hub, server } = await serve(await make({ slowReplayMs: 20 }));
    const first = await hub.publish('a', { data: { topic: 'a0' } });
    for (let i = 1; i <= 3; i++) {
      await hub.publish('a', { data: { topic: `a${i}` } });
      await hub.publish('b', { data: { topic: `b${i}` } });
    }
    const reader = fetchReader(`${server.url}?topics=a`, first);
    readers.push(reader);
    await until(() => received(reader.events).includes('a1'), 'the replay of a under way');
    hub.subscribe(server.streams[0] as SseStream, 'b');
    await hub.publish('b', { data: { topic: 'b4' } });
    await until(() => received(reader.events).includes('b4'), 'the live event');
    expect(backwards(ids(reader.events))).toEqual([]);
    const got = received(reader.events);
    expect(got.filter((topic) => topic.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(new Set(got).size).toBe(got.length);
    // Whatever of b1..b3 it could not get in order, it was told about.
    const missedB = ['b1', 'b2', 'b3'].some((topic) => !got.includes(topic));
    expect(reader.events.some((event) => event.event === RESET_EVENT)).toBe(missedB);
  });
});
