/**
 * Authorization on every subscribe, a resume included: a client whose access was revoked
 * reconnects with an old Last-Event-ID and gets nothing of the revoked topic, only the denied
 * signal, while its other topics replay as usual; in-process and with the hub on Redis (the
 * replay read back from the stream). Real sockets, a fetch reader with eventsource-parser.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CURSOR_EVENT, createHub, DENIED_EVENT, type Hub, RESET_EVENT } from '@ssekit/core';
import { type Broker, localBroker } from '@ssekit/core/broker';
import { openSseStream } from '@ssekit/core/node';
import { redisBroker } from '@ssekit/redis';
import { createClient as createRedisClient } from 'redis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  deleteKeysUnder,
  REDIS_URL,
  randomPrefix,
  redisIsAvailable,
} from '../redis/support/redis.js';
import { until } from '../support/wait.js';
import { fetchReader } from './support/clients.js';
import { type HubServer, serveHub } from './support/server.js';

/** Which rooms each user may read: the application's rights, changed by the test. */
const rights = new Map<string, Set<string>>();

let hub: Hub<Record<string, unknown>, string> | undefined;
let server: HubServer | undefined;

afterEach(async () => {
  await server?.close();
  await hub?.close();
  rights.clear();
});

/** Serves the hub at `/?topics=a,b&user=u`, the user as the subscription's context. */
async function start(
  authorize: (topic: string, user: string) => boolean | Promise<boolean>,
  broker?: Broker,
) {
  hub = createHub<Record<string, unknown>, string>({ authorize, broker, onError: () => {} });
  server = await serveHub(hub as Hub, {
    stream: { heartbeat: false, retry: 20 },
    subscribe: (url) => ({ context: url.searchParams.get('user') ?? '' }),
  });
  return { hub, url: server.url };
}

const mayRead = (topic: string, user: string) => rights.get(user)?.has(topic) === true;

/** Ann reads room:a and news, loses room:a, and resumes with the id she last saw. */
async function resumeAfterRevoke(
  authorize: (topic: string, user: string) => boolean | Promise<boolean>,
  broker?: Broker,
) {
  rights.set('ann', new Set(['room:a', 'news']));
  const { hub, url } = await start(authorize, broker);
  const first = fetchReader(`${url}?topics=room:a,news&user=ann`);
  await until(() => server?.streams.length === 1, 'the first connection');
  await new Promise((resolve) => setTimeout(resolve, 50));
  await hub.publish('room:a', { data: 'a1' });
  await hub.publish('news', { data: 'n1' });
  await until(() => first.events.length >= 2, 'the first two events');
  const lastSeen = first.events.at(-1)?.id;
  first.abort();

  rights.set('ann', new Set(['news']));
  await hub.publish('room:a', { data: 'a2 (revoked)' });
  await hub.publish('news', { data: 'n2' });

  const resumed = fetchReader(`${url}?topics=room:a,news&user=ann`, lastSeen);
  await until(
    () => resumed.events.some((event) => event.data === 'n2'),
    'the replay of the allowed topic',
  );
  await hub.publish('room:a', { data: 'a3 (revoked)' });
  await hub.publish('news', { data: 'n3' });
  await until(() => resumed.events.some((event) => event.data === 'n3'), 'live news');
  resumed.abort();

  const data = resumed.events.map((event) => `${event.event}:${event.data}`);
  expect(data).toContain(`${DENIED_EVENT}:room:a`);
  expect(data.filter((text) => text.includes('revoked'))).toEqual([]);
  expect(resumed.events.filter((event) => event.event === undefined).map((e) => e.data)).toEqual([
    'n2',
    'n3',
  ]);
  // The denial carries no id: the client's position stays where the allowed topics put it.
  expect(resumed.events.find((event) => event.event === DENIED_EVENT)?.id).toBeUndefined();
}

describe.each([
  ['a synchronous authorize', mayRead],
  [
    'an async authorize',
    async (topic: string, user: string) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return mayRead(topic, user);
    },
  ],
])('with %s', (_, authorize) => {
  it('replays nothing of a revoked topic to a client resuming with an old id', () =>
    resumeAfterRevoke(authorize));

  it('closes a stream none of whose topics is allowed, with a retry hint', async () => {
    const { hub, url } = await start(authorize);
    const reader = fetchReader(`${url}?topics=room:a&user=bob`);
    await reader.done;
    expect(reader.events.map((event) => `${event.event}:${event.data}`)).toEqual([
      `${DENIED_EVENT}:room:a`,
    ]);
    expect(reader.retries.at(-1)).toBe(10_000);
    expect(hub.stats().openStreams).toBe(0);
  });
});

describe('with the hub on Redis', () => {
  const prefix = randomPrefix();
  afterAll(() => deleteKeysUnder(prefix));

  it.for([1, 4])(
    'replays nothing of a revoked topic from Redis (%i partitions)',
    async (partitions, context) => {
      if (!(await redisIsAvailable('authorization on Redis'))) return context.skip();
      const client = createRedisClient({ url: REDIS_URL });
      await client.connect();
      try {
        const key = `${prefix}authorization:${partitions}`;
        await resumeAfterRevoke(mayRead, redisBroker({ client, key, partitions }));
      } finally {
        await server?.close();
        await hub?.close();
        server = undefined;
        hub = undefined;
        client.destroy();
      }
    },
  );
});

it('refuses a topic whose check throws, and reports the error', async () => {
  const errors: unknown[] = [];
  const failing = createHub<Record<string, unknown>, string>({
    authorize: (topic) => {
      if (topic === 'broken') throw new Error('rights service down');
      return true;
    },
    onError: (error) => errors.push(error),
  });
  hub = failing;
  server = await serveHub(failing as Hub, {
    stream: { heartbeat: false },
    subscribe: () => ({ context: 'ann' }),
  });
  const reader = fetchReader(`${server.url}?topics=broken,fine`);
  const seen = () => reader.events.filter((event) => event.event !== CURSOR_EVENT);
  await until(() => seen().length === 1, 'the denial');
  await failing.publish('broken', { data: 'secret' });
  await failing.publish('fine', { data: 'public' });
  await until(() => seen().length === 2, 'the allowed event');
  reader.abort();
  expect(seen().map((event) => event.data)).toEqual(['broken', 'public']);
  expect(errors).toEqual([new Error('rights service down')]);
});

it('a misspelled authorize is a TypeError, not authorization switched off', () => {
  expect(() => createHub({ authorise: () => true } as never)).toThrow(
    expect.objectContaining({ name: 'TypeError', code: 'ERR_SSE_UNKNOWN_OPTION' }),
  );
  expect(() => createHub({ authorize: true } as never)).toThrow(
    expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('authorize') }),
  );
});

describe('a stream waiting on an async authorize', () => {
  it('is closed by hub.close, which waits for it', async () => {
    let answer: (allowed: boolean) => void = () => {};
    const pending = createHub<Record<string, unknown>, string>({
      authorize: () => new Promise<boolean>((resolve) => (answer = resolve)),
    });
    hub = pending;
    server = await serveHub(pending as Hub, { stream: { heartbeat: false } });
    const reader = fetchReader(`${server.url}?topics=room:a`);
    await until(() => server?.streams.length === 1, 'the connection');
    await pending.close({ retry: 500 });
    expect(server.streams[0]?.isClosed).toBe(true);
    await reader.done;
    expect(reader.retries.at(-1)).toBe(500);
    answer(true);
  });

  it('frees its place when its client leaves before the decision', async () => {
    const stuck = createHub<Record<string, unknown>, string>({
      // The rights service never answers for 'stuck': only the client leaving ends its wait.
      authorize: (_, user) => (user === 'stuck' ? new Promise<boolean>(() => {}) : true),
      maxConnections: 1,
    });
    hub = stuck;
    server = await serveHub(stuck as Hub, {
      stream: { heartbeat: false },
      subscribe: (url) => ({ context: url.searchParams.get('user') ?? '' }),
    });
    const gone = fetchReader(`${server.url}?topics=a&user=stuck`);
    await until(() => server?.streams.length === 1, 'the first connection');
    gone.abort();
    await until(() => server?.streams[0]?.isClosed === true, 'the first client gone');
    const next = fetchReader(`${server.url}?topics=a&user=ann`);
    await until(() => stuck.stats().openStreams === 1, 'the next client let in');
    next.abort();
    expect(stuck.stats().connectionsRejected).toBe(0);
  });

  it('counts toward maxConnections: a crowd decided together is not all let in', async () => {
    const slow = createHub<Record<string, unknown>, string>({
      authorize: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 50)),
      maxConnections: 1,
      busyRetry: 100,
    });
    hub = slow;
    server = await serveHub(slow as Hub, { stream: { heartbeat: false } });
    const readers = [fetchReader(`${server.url}?topics=a`), fetchReader(`${server.url}?topics=a`)];
    await until(() => readers.some((reader) => reader.isDone()), 'one turned away');
    await until(() => slow.stats().openStreams === 1, 'the other let in');
    expect(readers.filter((reader) => reader.isDone())).toHaveLength(1);
    expect(slow.stats().connectionsRejected).toBe(1);
    for (const reader of readers) reader.abort();
  });
});

it('keeps a stream whose first subscribe call was refused and a later one allowed', async () => {
  const picky = createHub<Record<string, unknown>, string>({
    authorize: (topic) => topic !== 'secret',
    onError: () => {},
  });
  hub = picky;
  server = await serveHub(picky as Hub, { stream: { heartbeat: false } });
  const reader = fetchReader(`${server.url}?topics=secret;public`);
  await until(() => picky.stats().openStreams === 1, 'the allowed subscription');
  await picky.publish('public', { data: 'hello' });
  await until(() => reader.events.some((event) => event.data === 'hello'), 'the public event');
  reader.abort();
  expect(reader.events.map((event) => event.event)).toContain(DENIED_EVENT);
});

it('sends no cursor past a topic whose async check is still running: a reconnect from it would skip that topic', async () => {
  const slow = createHub<Record<string, unknown>, string>({
    authorize: (topic) =>
      new Promise((resolve) => setTimeout(() => resolve(true), topic === 'b' ? 300 : 10)),
    onError: () => {},
  });
  hub = slow;
  server = await serveHub(slow as Hub, { stream: { heartbeat: false } });
  const resumeAt = await slow.publish('a', { data: 'a0' });
  const published: string[] = [];
  for (let i = 1; i <= 3; i++) {
    published.push(await slow.publish('a', { data: `a${i}` }));
    published.push(await slow.publish('b', { data: `b${i}` }));
  }
  const reader = fetchReader(`${server.url}?topics=a;b`, resumeAt);
  await until(() => reader.events.some((event) => event.data === 'a3'), 'the replay of a');
  // The moment a client that reconnected now would resume from: only what it got.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const positions = reader.events.map((event) => event.id);
  expect(reader.events.map((event) => event.event)).not.toContain(CURSOR_EVENT);
  expect(positions.at(-1)).toBe(published[4]);
  // Once b is decided, its events arrive or a reset says they cannot.
  await until(() => reader.events.some((event) => event.data === 'b3'), 'b, once decided');
  const b = reader.events.filter((event) => event.data.startsWith('b'));
  const told = reader.events.some((event) => event.event === 'ssekit:reset');
  expect(b.length === 3 || told).toBe(true);
  reader.abort();
});

it('refuses a second filter on a topic while both calls wait on an async authorize', async () => {
  const errors: unknown[] = [];
  const checked = createHub<Record<string, unknown>, string>({
    authorize: async () => true,
    onError: (error) => errors.push(error),
  });
  hub = checked;
  // One route subscribes the stream to 'a' twice, the second time for the odd numbers only.
  const app = http.createServer((req, res) => {
    const stream = openSseStream(req, res, { heartbeat: false });
    checked.subscribe(stream, 'a');
    checked.subscribe(stream, 'a', { filter: ({ data }) => Number(data) % 2 === 1 });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const { port } = app.address() as AddressInfo;
  const reader = fetchReader(`http://127.0.0.1:${port}/`);
  await until(() => checked.stats().openStreams === 1, 'the subscription');
  await until(() => errors.length === 1, 'the conflict reported');
  reader.abort();
  app.closeAllConnections();
  await new Promise((resolve) => app.close(resolve));
  expect(errors).toEqual([
    expect.objectContaining({ name: 'TypeError', code: 'ERR_SSE_FILTER_CONFLICT' }),
  ]);
});

describe('subscribing again to a topic the stream has, once authorize refuses it', () => {
  it('stops the topic (the denial is the current answer) and keeps the others', async () => {
    rights.set('ann', new Set(['room:a', 'news']));
    const { hub, url } = await start(mayRead);
    const reader = fetchReader(`${url}?topics=room:a,news&user=ann`);
    await until(() => hub.stats().subscribers['room:a'] === 1, 'the subscription');
    await hub.publish('room:a', { data: 'a1' });
    await until(() => reader.events.some((event) => event.data === 'a1'), 'a1');

    rights.get('ann')?.delete('room:a');
    const stream = server?.streams[0];
    if (stream === undefined) throw new Error('no stream');
    hub.subscribe(stream, 'room:a', { context: 'ann' });
    await hub.publish('room:a', { data: 'a2' });
    await hub.publish('news', { data: 'n1' });
    await until(() => reader.events.some((event) => event.data === 'n1'), 'n1');
    const seen = reader.events.filter((event) => event.event !== CURSOR_EVENT);
    expect(seen.map(({ event, data }) => ({ event, data }))).toEqual([
      { event: undefined, data: 'a1' },
      { event: DENIED_EVENT, data: 'room:a' },
      { event: undefined, data: 'n1' },
    ]);
    expect(hub.stats().subscribers).toEqual({ news: 1 });
    expect(stream.isClosed).toBe(false);
    reader.abort();
  });
});

describe('events of a topic published while its async authorize decides', () => {
  /** What the client was told, positions aside: data of events, names of other signals. */
  const told = (reader: ReturnType<typeof fetchReader>) =>
    reader.events
      .filter((event) => event.event !== CURSOR_EVENT)
      .map((event) => event.event ?? event.data);

  /**
   * A hub whose authorize allows `z` at once and decides every other topic when the test says
   * (`decide(topic)`, oldest call first), serving streams subscribed to `z`.
   */
  async function deciding(broker?: Broker) {
    const waiting: Array<{ topic: string; allow: (allowed: boolean) => void }> = [];
    const gated = createHub<Record<string, unknown>, string>({
      authorize: (topic) =>
        topic === 'z' ? true : new Promise((allow) => waiting.push({ topic, allow })),
      broker,
      onError: () => {},
    });
    hub = gated;
    server = await serveHub(gated as Hub, { stream: { heartbeat: false } });
    const reader = fetchReader(`${server.url}?topics=z`);
    await until(() => gated.stats().subscribers.z === 1, 'the stream');
    const stream = server.streams[0] as HubServer['streams'][0];
    const decide = async (topic: string, allowed = true) => {
      const index = waiting.findIndex((call) => call.topic === topic);
      waiting.splice(index, 1)[0]?.allow(allowed);
      await new Promise((resolve) => setImmediate(resolve));
    };
    /** Resolves once the client got the event whose data is `data`. */
    const arrived = (data: string) =>
      until(() => reader.events.some((event) => event.data === data), data);
    return { gated, stream, reader, decide, arrived };
  }

  it('reach a new client once it is decided, in id order', async () => {
    const { gated, stream, reader, decide, arrived } = await deciding();
    gated.subscribe(stream, 'b');
    await gated.publish('b', { data: 'b1' });
    await gated.publish('b', { data: 'b2' });
    await decide('b');
    await gated.publish('b', { data: 'b3' });
    await arrived('b3');
    reader.abort();
    expect(told(reader)).toEqual(['b1', 'b2', 'b3']);
  });

  it('that cannot go out in id order any more (another topic went on) are told by a reset, not skipped', async () => {
    const { gated, stream, reader, decide, arrived } = await deciding();
    gated.subscribe(stream, 'b');
    await gated.publish('b', { data: 'b1' });
    await gated.publish('z', { data: 'z1' });
    await arrived('z1');
    await decide('b');
    await gated.publish('b', { data: 'b2' });
    await arrived('b2');
    reader.abort();
    // b1 is older than z1, which the client has: a reconnect from z1's id would skip it too.
    expect(told(reader)).toEqual(['z1', RESET_EVENT, 'b2']);
  });

  it('of a topic the stream had before, left and subscribed to again, reach it too', async () => {
    const { gated, stream, reader, decide, arrived } = await deciding();
    const first = gated.subscribe(stream, 'b');
    await gated.publish('b', { data: 'b1' });
    await decide('b');
    await arrived('b1');
    first();
    await gated.publish('b', { data: 'b2 (not subscribed)' });
    gated.subscribe(stream, 'b');
    await gated.publish('b', { data: 'b3' });
    await decide('b');
    await gated.publish('b', { data: 'b4' });
    await arrived('b4');
    reader.abort();
    expect(told(reader)).toEqual(['b1', 'b3', 'b4']);
  });

  it('while the stream still had the topic through another call: nothing twice, no reset', async () => {
    const { gated, stream, reader, decide, arrived } = await deciding();
    // An app refreshing a subscription: a new call, then the old one undone.
    const old = gated.subscribe(stream, 'a');
    await decide('a');
    await gated.publish('a', { data: 'a1' });
    gated.subscribe(stream, 'a');
    await gated.publish('a', { data: 'a2' });
    await arrived('a2');
    old();
    await gated.publish('a', { data: 'a3' });
    await decide('a');
    await gated.publish('a', { data: 'a4' });
    await arrived('a4');
    reader.abort();
    expect(told(reader)).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('keep the broker reading their topics from the call on: told once, on and off per topic, as its contract says', async () => {
    // What the hub tells the broker of topics `b` and `c`, in order.
    const told: string[] = [];
    const inner = localBroker();
    const broker: Broker = {
      publish: (entry) => inner.publish(entry),
      subscribe: (listener) => inner.subscribe(listener),
      cursor: (topics) => inner.cursor(topics),
      replay: (afterId, topics) => inner.replay(afterId, topics),
      close: () => inner.close(),
      interest: (topic, subscribed) => {
        if (topic !== 'z') told.push(`${topic} ${subscribed ? 'on' : 'off'}`);
      },
    };
    const { gated, stream, reader, decide } = await deciding(broker);
    const allowed = gated.subscribe(stream, 'b');
    expect(told).toEqual(['b on']);
    await decide('b');
    // Handed over to the subscription: not off and on again (a partition read again starts over).
    expect(told).toEqual(['b on']);
    allowed();
    gated.subscribe(stream, 'b');
    await decide('b', false);
    expect(told).toEqual(['b on', 'b off', 'b on', 'b off']);
    // A decision that never comes: the stream closing ends the wait.
    gated.subscribe(stream, 'c');
    reader.abort();
    await until(
      () => told.includes('c off'),
      () => `c off; told ${told}`,
    );
    expect(told.slice(4)).toEqual(['c on', 'c off']);
  });

  describe('with the hub on Redis in 8 partitions', () => {
    const prefix = randomPrefix();
    afterAll(() => deleteKeysUnder(prefix));
    let keys = 0;

    /**
     * The harness on a partitioned Redis broker, where `a` and `z` hash to different partitions:
     * when `a` is asked for, no local stream reads its partition yet. The client has a position
     * (z0). `read(data)` resolves once the broker read the entry whose data is `data` (the hub
     * got it too: it listens to the same broker).
     */
    async function decidingOnRedis(context: { onTestFinished(fn: () => void): void }) {
      const client = createRedisClient({ url: REDIS_URL });
      await client.connect();
      context.onTestFinished(() => void client.destroy());
      const broker = redisBroker({ client, key: `${prefix}${++keys}`, partitions: 8 });
      await broker.ready();
      const readData: string[] = [];
      broker.subscribe({ entry: (entry) => readData.push(entry.data), reset: () => {} });
      const harness = await deciding(broker);
      await harness.gated.publish('z', { data: 'z0' });
      await harness.arrived('z0');
      const read = (data: string) =>
        until(() => readData.includes(data), `the broker to read ${data}`);
      return { ...harness, read };
    }

    it('are read while it is decided and told by a reset (one id cannot place a client in two partitions)', async (context) => {
      if (!(await redisIsAvailable('authorization on Redis'))) return context.skip();
      const { gated, stream, reader, decide, arrived, read } = await decidingOnRedis(context);
      gated.subscribe(stream, 'a');
      await gated.publish('a', { data: 'a1' });
      await gated.publish('a', { data: 'a2' });
      await read('a2');
      await decide('a');
      await gated.publish('a', { data: 'a3' });
      await arrived('a3');
      reader.abort();
      expect(told(reader)).toEqual(['z0', RESET_EVENT, 'a3']);
    });

    it('that cannot go out in id order any more are told by a reset, not skipped', async (context) => {
      if (!(await redisIsAvailable('authorization on Redis'))) return context.skip();
      const { gated, stream, reader, decide, arrived, read } = await decidingOnRedis(context);
      gated.subscribe(stream, 'a');
      await gated.publish('a', { data: 'a1' });
      await read('a1');
      await gated.publish('z', { data: 'z1' });
      await arrived('z1');
      await decide('a');
      await gated.publish('a', { data: 'a2' });
      await arrived('a2');
      reader.abort();
      expect(told(reader)).toEqual(['z0', 'z1', RESET_EVENT, 'a2']);
    });
  });

  it('cost no replay when none is of its topics, however busy the others', async () => {
    const { gated, stream, reader, decide, arrived } = await deciding();
    gated.subscribe(stream, 'b');
    for (let n = 1; n <= 20; n++) await gated.publish('z', { data: `z${n}` });
    await decide('b');
    await gated.publish('b', { data: 'b1' });
    await arrived('b1');
    reader.abort();
    expect(gated.stats().replaysServed).toBe(0);
    expect(told(reader).at(-1)).toBe('b1');
    expect(told(reader)).not.toContain(RESET_EVENT);
  });
});
