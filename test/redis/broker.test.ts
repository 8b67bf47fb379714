/**
 * `redisBroker` through its public API against a real Redis, once per client library and major
 * (ioredis 5 and 6, node-redis 5 and 6): options, live delivery, paged replay with topic
 * filtering, the reset cases, failures and cleanup.
 */
import type { EventEmitter } from 'node:events';
import type { BrokerListener, HubEntry, ReplayPage } from '@ssekit/core/broker';
import {
  nodeRedisConnection,
  type RedisBroker,
  type RedisConnection,
  redisBroker,
} from '@ssekit/redis';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { toConnection } from '../../packages/redis/src/connection/to-connection.js';
import { sleep, until } from '../support/wait.js';
import { type AnyClient, CLIENT_NAMES, clientLibraries } from './support/clients.js';
import { countingConnection } from './support/counting.js';
import { type CuttingProxy, cuttingProxy, PUBLISH_CALL } from './support/cutting-proxy.js';
import { openBrokers } from './support/open-brokers.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis broker');
const prefix = randomPrefix();
let keys = 0;
const newKey = () => `${prefix}broker:${++keys}`;

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

function collect(broker: RedisBroker) {
  const entries: HubEntry[] = [];
  let resets = 0;
  const listener: BrokerListener = {
    entry: (entry) => entries.push(entry),
    reset: () => {
      resets += 1;
    },
  };
  broker.subscribe(listener);
  return { entries, resets: () => resets };
}

async function pages(iterable: AsyncIterable<ReplayPage>): Promise<ReplayPage[]> {
  const all: ReplayPage[] = [];
  for await (const page of iterable) all.push(page);
  return all;
}

/** Records the clients `client.duplicate()` makes from now on (the broker's own connections). */
function duplicatesOf(client: AnyClient): AnyClient[] {
  const made: AnyClient[] = [];
  const duplicable = client as unknown as { duplicate(...args: unknown[]): AnyClient };
  const duplicate = duplicable.duplicate.bind(client);
  duplicable.duplicate = (...args) => {
    const copy = duplicate(...args);
    made.push(copy);
    return copy;
  };
  return made;
}

describe.skipIf(!available).each(CLIENT_NAMES)('redisBroker over %s', (name) => {
  const library = clientLibraries[name];
  const { start, track } = openBrokers(library, () => ({ key: newKey() }));

  it('delivers what it publishes, verbatim, in order, and moves its cursor', async () => {
    const broker = await start();
    expect(broker.cursor()).toBe('0-0');
    const seen = collect(broker);
    const data = 'multi\nline ✓ 🎉 "json" \r\n';
    const first = await broker.publish({ topic: 'a', event: 'tick', data });
    const second = await broker.publish({ topic: 'b', event: undefined, data: '{"n":2}' });
    await until(() => seen.entries.length === 2, 'two entries');
    expect(seen.entries).toEqual([
      { id: first, topic: 'a', event: 'tick', data },
      { id: second, topic: 'b', event: undefined, data: '{"n":2}' },
    ]);
    expect(broker.cursor()).toBe(second);
    expect(seen.resets()).toBe(0);
  });

  it('fans out to another broker on the same key, which starts after what already existed', async () => {
    const key = newKey();
    const publisher = await start({ key });
    const before = await publisher.publish({ topic: 'a', data: 'before' });
    // A broker starts from its creation by Redis's clock (start-position.ts): what is stamped
    // within the time its start read waits on Redis may be delivered too, 100 ms or more under load.
    await sleep(1_000);
    const other = await start({ key });
    expect(other.cursor()).toBe(before);
    const seen = collect(other);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(await publisher.publish({ topic: 'a', data: String(i) }));
    await until(() => seen.entries.length === 50, '50 entries');
    expect(seen.entries.map((entry) => entry.id)).toEqual(ids);
  });

  it('replays in pages after an id, filtered by topic, and nothing after the newest id', async () => {
    const broker = await start({ pageSize: 4 });
    const from = broker.cursor() as string;
    const wanted: string[] = [];
    for (let i = 0; i < 15; i++) {
      const topic = i % 3 === 0 ? 'other' : i % 3 === 1 ? 'a' : 'b';
      const id = await broker.publish({ topic, data: String(i) });
      if (topic !== 'other') wanted.push(id);
    }
    // The last one published is on topic 'b': wait until the live loop has read everything.
    await until(() => broker.cursor() === wanted.at(-1), 'the cursor to reach the last id');
    const replayed = await pages(broker.replay(from, new Set(['a', 'b'])));
    expect(replayed.length).toBeGreaterThan(1);
    const entries = replayed.flatMap((page) => (page === 'reset' ? [] : [...page]));
    expect(entries.map((entry) => entry.id)).toEqual(wanted);
    expect(replayed).not.toContain('reset');
    expect(await pages(broker.replay(broker.cursor() as string, new Set(['a'])))).toEqual([]);
  });

  it('yields reset for malformed ids, ids it never gave, and ids trimmed away', async () => {
    const broker = await start({ maxEvents: 10 });
    const first = await broker.publish({ topic: 'a', data: 'first' });
    const topics = new Set(['a']);
    const beyondRedis = ['99999999999999999999-1', '18446744073709551615-18446744073709551615'];
    for (const id of ['nope', '1-2-3', '', '99999999999999-1', '1-999', ...beyondRedis]) {
      expect(await pages(broker.replay(id, topics)), id).toEqual(['reset']);
    }
    for (let i = 0; i < 250; i++) await broker.publish({ topic: 'a', data: String(i) });
    expect(await pages(broker.replay(first, topics))).toEqual(['reset']);
  });

  it('leaves no listener on the client once closed', async () => {
    const client = await library.connected(REDIS_URL);
    const events = ['error', 'ready', 'close', 'end', 'reconnecting'] as const;
    const count = () => events.map((event) => client.listenerCount(event));
    const before = count();
    const broker = redisBroker({ client, key: newKey() });
    await broker.ready();
    expect(count()).not.toEqual(before);
    await broker.close();
    expect(count()).toEqual(before);
    await library.close(client);
  });

  it('publishes and replays at once on a client that is still connecting', async () => {
    const client = library.connecting(REDIS_URL);
    const broker = redisBroker({ client, key: newKey(), onError: () => {} });
    track(broker, client);
    const first = await broker.publish({ topic: 'a', data: 'first' });
    expect(first).toMatch(/^\d+-\d+$/);
    expect(await pages(broker.replay(first, new Set(['a'])))).toEqual([]);
  });

  describe('when the connection drops with a publish in flight', () => {
    let proxy: CuttingProxy;
    beforeEach(async () => {
      proxy = await cuttingProxy(REDIS_URL);
    });
    afterEach(() => proxy.close());

    /**
     * A broker through the proxy, its scripts already loaded (a NOSCRIPT reply is not a cut); what
     * it delivers after its warm-up event.
     */
    const startThroughProxy = async () => {
      const broker = await start({}, proxy.url);
      const seen = collect(broker);
      const from = await broker.publish({ topic: 'a', data: 'warm-up' });
      await until(() => seen.entries.some((entry) => entry.id === from), 'the warm-up');
      seen.entries.length = 0;
      return { broker, seen, from };
    };

    /** Publishes a marker and waits for it: whatever was stored before it has been delivered. */
    const delivered = async (broker: RedisBroker, seen: ReturnType<typeof collect>) => {
      const marker = await broker.publish({ topic: 'a', data: 'marker' });
      await until(() => seen.entries.some((entry) => entry.id === marker), 'the marker');
      return seen.entries.map((entry) => entry.data);
    };

    it('stores it once and resolves with its id when the reply was lost', async () => {
      const { broker, seen, from } = await startThroughProxy();
      const cut = proxy.cutNext(PUBLISH_CALL, 'before-reply');
      const id = await broker.publish({ topic: 'a', data: 'stored, reply lost' });
      await cut;
      expect(await delivered(broker, seen)).toEqual(['stored, reply lost', 'marker']);
      const replayed = await pages(broker.replay(from, new Set(['a'])));
      const entries = replayed.flatMap((page) => (page === 'reset' ? [] : [...page]));
      expect(entries.map((entry) => [entry.id, entry.data])).toEqual([
        [id, 'stored, reply lost'],
        [seen.entries.at(-1)?.id, 'marker'],
      ]);
    });

    it('a replay whose read is cut while Redis refuses connections rejects with ERR_SSE_BROKER_UNAVAILABLE', async () => {
      const { broker, from } = await startThroughProxy();
      proxy.refuse(true);
      // The replay's first read (the stream's position): no other command reads XINFO.
      const cut = proxy.cutNext('XINFO', 'before-reply');
      const replay = pages(broker.replay(from, new Set(['a'])));
      await cut;
      await expect(replay).rejects.toMatchObject({
        name: 'SsekitError',
        code: 'ERR_SSE_BROKER_UNAVAILABLE',
        message: expect.stringMatching(/the replay on ".*" stopped: Redis failed/),
      });
    });

    it('stores each publish of a turn once when the reply of their shared call was lost', async () => {
      const { broker, seen } = await startThroughProxy();
      const cut = proxy.cutNext(PUBLISH_CALL, 'before-reply');
      const data = ['one', 'two', 'three', 'four'];
      const ids = await Promise.all(data.map((text) => broker.publish({ topic: 'a', data: text })));
      await cut;
      expect(await delivered(broker, seen)).toEqual([...data, 'marker']);
      expect(seen.entries.slice(0, 4).map((entry) => entry.id)).toEqual(ids);
    });

    it('stores it once when Redis refuses the send after the lost reply for a while', async () => {
      const { broker, seen } = await startThroughProxy();
      const cut = proxy.cutNext(PUBLISH_CALL, 'before-reply');
      const publishing = broker.publish({ topic: 'a', data: 'stored, then LOADING' });
      await cut;
      await proxy.answerNext(PUBLISH_CALL, '-LOADING Redis is loading the dataset in memory\r\n');
      const id = await publishing;
      expect(await delivered(broker, seen)).toEqual(['stored, then LOADING', 'marker']);
      expect(seen.entries[0]?.id).toBe(id);
    });

    it('stores it once when the command never reached Redis', async () => {
      const { broker, seen } = await startThroughProxy();
      const cut = proxy.cutNext(PUBLISH_CALL, 'before-command');
      const id = await broker.publish({ topic: 'a', data: 'never arrived' });
      await cut;
      expect(await delivered(broker, seen)).toEqual(['never arrived', 'marker']);
      expect(seen.entries[0]?.id).toBe(id);
    });

    it('rejects saying the event may be stored when Redis is not back before the broker closes', async () => {
      const { broker } = await startThroughProxy();
      proxy.refuse(true);
      const cut = proxy.cutNext(PUBLISH_CALL, 'before-reply');
      const publishing = broker.publish({ topic: 'a', data: 'outcome unknown' });
      const settled = expect(publishing).rejects.toMatchObject({
        code: 'ERR_SSE_PUBLISH_UNCERTAIN',
        message: expect.stringMatching(
          /may or may not have been stored: Redis did not reply .* the broker closed/,
        ),
      });
      await cut;
      await broker.close();
      await settled;
    });
  });

  it('sends the publishes of one turn in one script call, each settling with its own id', async () => {
    const client = await library.connected(REDIS_URL);
    const { connection, commands: calls } = countingConnection(toConnection(client, 'client'));
    const broker = redisBroker({ client: connection, key: newKey(), onError: () => {} });
    track(broker, client);
    await broker.ready();
    const seen = collect(broker);
    const first = await broker.publish({ topic: 'a', data: 'loads the script' });
    await until(() => seen.entries.some((entry) => entry.id === first), 'the first event');
    seen.entries.length = 0;
    calls.length = 0;
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, n) => broker.publish({ topic: 'a', data: String(n) })),
    );
    const appends = calls.filter((args) => args.some((arg) => arg.endsWith(PUBLISH_CALL)));
    expect(appends).toHaveLength(1);
    const base = BigInt(first.split('-')[1] as string);
    expect(ids.map((id) => Number(BigInt(id.split('-')[1] as string) - base))).toEqual(
      Array.from({ length: 200 }, (_, n) => n + 1),
    );
    await until(() => seen.entries.length === 200, '200 entries');
    expect(seen.entries.map((entry) => [entry.id, entry.data])).toEqual(
      ids.map((id, n) => [id, String(n)]),
    );
  });

  it('rejects publish with a clear error once closed, and closes idempotently', async () => {
    const broker = await start();
    await broker.close();
    await broker.close();
    await expect(broker.publish({ topic: 'a', data: 'x' })).rejects.toMatchObject({
      name: 'SsekitError',
      code: 'ERR_SSE_BROKER_CLOSED',
      message: expect.stringMatching(/broker is closed/),
    });
  });

  it('creates its read connection with createReader, and closes it', async () => {
    let created = 0;
    const readers: AnyClient[] = [];
    const broker = await start({
      createReader: () => {
        created += 1;
        const reader = library.connecting(REDIS_URL);
        readers.push(reader);
        return reader;
      },
    });
    const seen = collect(broker);
    await broker.publish({ topic: 'a', data: 'x' });
    await until(() => seen.entries.length === 1, 'one entry');
    expect(created).toBe(1);
    await broker.close();
    expect(library.isClosed(readers[0] as AnyClient)).toBe(true);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('no reader today');
      },
      /no reader today/,
    ],
    ['returns no client', () => ({}), /"createReader\(\)" must be a node-redis client/],
  ])(
    'a createReader that %s fails redisBroker and leaves nothing open or listened to',
    async (_, createReader, message) => {
      const client = await library.connected(REDIS_URL);
      onTestFinished(() => library.close(client));
      const listening = client.listenerCount('error');
      const made = duplicatesOf(client);
      expect(() =>
        redisBroker({
          client,
          key: newKey(),
          onError: () => {},
          createReader: createReader as never,
        }),
      ).toThrow(message);
      expect(client.listenerCount('error')).toBe(listening);
      expect(made).toHaveLength(1);
      await until(
        () => library.isClosed(made[0] as AnyClient),
        "the broker's own connection closed",
      );
    },
  );

  it('still listens to the errors of the connections it made once it has closed them', async () => {
    // A client library may emit an error after destroy() (node-redis's cluster client does, for a
    // topology read still in flight), and an 'error' event nobody listens to throws.
    const client = await library.connected(REDIS_URL);
    const made: EventEmitter[] = duplicatesOf(client);
    const createReader = () => {
      const reader = library.connecting(REDIS_URL);
      reader.removeAllListeners('error');
      made.push(reader);
      return reader;
    };
    const broker = redisBroker({ client, key: newKey(), onError: () => {}, createReader });
    track(broker, client);
    const seen = collect(broker);
    await broker.publish({ topic: 'a', data: 'x' });
    await until(() => seen.entries.length === 1, 'one entry');
    await broker.close();
    expect(made).toHaveLength(2);
    for (const connection of made) {
      expect(() => connection.emit('error', new Error('after close'))).not.toThrow();
    }
  });
});

describe.skipIf(!available)('redisBroker without Redis', () => {
  it('rejects publish and replay at once with a clear error, and still closes', async () => {
    // A client that never connects (lazyConnect): the broker must not wait for it.
    const client = new Redis({ port: 1, lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => {});
    const broker = redisBroker({ client, key: newKey(), onError: () => {} });
    await expect(broker.publish({ topic: 'a', data: 'x' })).rejects.toMatchObject({
      code: 'ERR_SSE_BROKER_UNAVAILABLE',
      message: expect.stringMatching(/cannot publish on ".*": Redis is not connected/),
    });
    const replay = pages(broker.replay('1-1', new Set(['a'])));
    await expect(replay).rejects.toMatchObject({ code: 'ERR_SSE_BROKER_UNAVAILABLE' });
    await expect(replay).rejects.toThrow(/cannot replay on ".*": Redis is not connected/);
    // Nothing is asked of the replaying client: it reconnects on its own.
    await expect(replay).rejects.toThrow(/stream was closed; it reconnects and resumes/);
    await expect(replay).rejects.not.toThrow(/retry/);
    expect(broker.cursor()).toBeUndefined();
    await broker.close();
    client.disconnect();
  });
});

describe.skipIf(!available)('redisBroker on a key that holds something else', () => {
  it('refuses publish (ERR_SSE_PUBLISH_REFUSED), reports the failed read (ERR_SSE_BROKER_UNAVAILABLE) and, once the read loop has waited its 10 s for Redis, a replay (ERR_SSE_REPLAY_UNAVAILABLE)', async () => {
    const client = new Redis(REDIS_URL);
    const key = newKey();
    await client.set(key, 'not a stream');
    const reported: unknown[] = [];
    const broker = redisBroker({ client, key, onError: (error) => reported.push(error) });
    const replay = expect(pages(broker.replay('1-1', new Set(['a'])))).rejects.toMatchObject({
      code: 'ERR_SSE_REPLAY_UNAVAILABLE',
      message: expect.stringMatching(/Nothing was replayed/),
    });
    await expect(broker.publish({ topic: 'a', data: 'x' })).rejects.toMatchObject({
      name: 'SsekitError',
      code: 'ERR_SSE_PUBLISH_REFUSED',
      message: expect.stringMatching(/Redis refused to store the event .*WRONGTYPE/),
    });
    await until(() => reported.length > 0, 'the failed read to be reported');
    expect(reported[0]).toMatchObject({ code: 'ERR_SSE_BROKER_UNAVAILABLE' });
    await replay;
    await broker.close();
    client.disconnect();
  }, 30_000);
});

describe.skipIf(!available)('redisBroker whose latest-values key holds something else', () => {
  // Redis does not undo a script's earlier writes when a later command fails: the check comes
  // first, so that "nothing was stored" is true.
  it('refuses a publish (ERR_SSE_PUBLISH_REFUSED) and stores nothing, its entry included', async () => {
    const client = new Redis(REDIS_URL);
    const key = newKey();
    await client.set(`${key}:latest`, 'not a hash');
    const broker = redisBroker({ client, key, onError: () => {} });
    onTestFinished(async () => {
      await broker.close();
      client.disconnect();
    });
    await expect(broker.publish({ topic: 'prices', data: '1', key: 'AAPL' })).rejects.toMatchObject(
      {
        code: 'ERR_SSE_PUBLISH_REFUSED',
        message: expect.stringMatching(/WRONGTYPE .*:latest holds a string.*nothing was stored/),
      },
    );
    expect(await client.call('XLEN', key)).toBe(0);
  });
});

/** `connection`, with the keys of its XREAD replies renamed, as a key-prefixing client does. */
function renamingXread(connection: RedisConnection, reads: { count: number }): RedisConnection {
  const rename = (key: unknown) => `renamed:${String(key)}`;
  return {
    get isReady() {
      return connection.isReady;
    },
    command: async (args) => {
      const reply = await connection.command(args);
      if (args[0] !== 'XREAD' || reply === null) return reply;
      reads.count += 1;
      if (Array.isArray(reply)) {
        return reply.map((stream) => [rename((stream as unknown[])[0]), (stream as unknown[])[1]]);
      }
      const pairs = reply instanceof Map ? [...reply] : Object.entries(reply as object);
      return new Map(pairs.map(([key, entries]) => [rename(key), entries]));
    },
    onError: (listener) => connection.onError(listener),
    duplicate: () => renamingXread(connection.duplicate(), reads),
    connect: () => connection.connect(),
    destroy: () => connection.destroy(),
  };
}

describe.skipIf(!available)(
  'redisBroker on a connection whose XREAD answers name other keys',
  () => {
    it('reports it as a failed read, naming why, and waits before reading again, not in a busy loop', async () => {
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      const reads = { count: 0 };
      const reported: unknown[] = [];
      const broker = redisBroker({
        client: renamingXread(toConnection(client, 'client'), reads),
        key: newKey(),
        onError: (error) => reported.push(error),
      });
      onTestFinished(async () => {
        await broker.close();
        await client.close();
      });
      collect(broker);
      broker.interest?.('a', true);
      await broker.ready();
      await broker.publish({ topic: 'a', data: 'x' });
      await until(() => reported.length > 0, 'the reply to be reported');
      // Reported as a failed read, naming why.
      expect(reported[0]).toMatchObject({
        code: 'ERR_SSE_BROKER_UNAVAILABLE',
        message: expect.stringMatching(/XREAD answered with entries of "renamed:/),
      });
      reads.count = 0;
      await sleep(1_000);
      // The loop backs off from 100 ms, doubling: a handful of reads a second, not thousands.
      expect(reads.count).toBeLessThan(20);
    }, 15_000);
  },
);

describe.skipIf(!available)('redisBroker on an ioredis client with a commandTimeout', () => {
  it('blocks its reads longer than the timeout without reporting an outage, and delivers', async () => {
    const client = new Redis(REDIS_URL, { commandTimeout: 200 });
    const reported: unknown[] = [];
    const broker = redisBroker({
      client,
      key: newKey(),
      blockMs: 1000,
      onError: (error) => reported.push(error),
    });
    onTestFinished(async () => {
      await broker.close();
      client.disconnect();
    });
    const seen = collect(broker);
    broker.interest?.('a', true);
    await broker.ready();
    // Two blocked reads of a second each: each would be cut at 200 ms and reported.
    await sleep(2_500);
    const id = await broker.publish({ topic: 'a', data: 'after a quiet spell' });
    await until(() => seen.entries.length === 1, 'the entry');
    expect(seen.entries.map((entry) => entry.id)).toEqual([id]);
    expect(reported).toEqual([]);
  }, 15_000);
});

describe('redisBroker options', () => {
  const client = createClient({ url: REDIS_URL });

  it.each([
    [{ client: {} }, /"client" must be a node-redis client/, 'ERR_SSE_INVALID_OPTION'],
    [{ client, key: '' }, /"key" must be a non-empty string/, 'ERR_SSE_INVALID_OPTION'],
    [
      { client, maxEvents: 0 },
      /"maxEvents" must be a positive whole number, got 0/,
      'ERR_SSE_INVALID_OPTION',
    ],
    [
      { client, maxAgeMs: 1.5 },
      /"maxAgeMs" must be a positive whole number/,
      'ERR_SSE_INVALID_OPTION',
    ],
    [
      { client, blockMs: -1 },
      /"blockMs" must be a positive whole number/,
      'ERR_SSE_INVALID_OPTION',
    ],
    [
      { client, partitions: 0 },
      /"partitions" must be a positive whole number, got 0/,
      'ERR_SSE_INVALID_OPTION',
    ],
    [
      { client, partitions: 2.5 },
      /"partitions" must be a positive whole number, got 2.5/,
      'ERR_SSE_INVALID_OPTION',
    ],
    [
      { client, partitions: '4' },
      /"partitions" must be a positive whole number, got "4"/,
      'ERR_SSE_INVALID_OPTION',
    ],
    [
      { client, partitions: 1000 },
      /"partitions" must be at most 999, got 1000/,
      'ERR_SSE_INVALID_OPTION',
    ],
    [
      { client, maxAgeMs: 2e12 },
      /"maxAgeMs" must be at most 315360000000 \(ten years\), got 2000000000000/,
      'ERR_SSE_INVALID_OPTION',
    ],
    [{ client, createReader: 'no' }, /"createReader" must be a function/, 'ERR_SSE_INVALID_OPTION'],
    [{ client, onError: 1 }, /"onError" must be a function/, 'ERR_SSE_INVALID_OPTION'],
    [
      { client, pagesize: 10 },
      /redisBroker has no option "pagesize"; did you mean "pageSize"\?/,
      'ERR_SSE_UNKNOWN_OPTION',
    ],
    [
      { client, maxEvent: 10 },
      /redisBroker has no option "maxEvent"; did you mean "maxEvents"\?/,
      'ERR_SSE_UNKNOWN_OPTION',
    ],
  ])('refuses %o with a TypeError naming the field, with its code', (options, message, code) => {
    expect(() => redisBroker(options as never)).toThrow(TypeError);
    expect(() => redisBroker(options as never)).toThrow(message);
    expect(() => redisBroker(options as never)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses an ioredis client or cluster with a keyPrefix, naming the field and the fix', () => {
    const prefixed = new Redis(REDIS_URL, { keyPrefix: 'app:', lazyConnect: true });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 7000 }], {
      keyPrefix: 'app:',
      lazyConnect: true,
    });
    for (const candidate of [prefixed, cluster]) {
      const make = () => redisBroker({ client: candidate as never, key: 'events:{app}' });
      expect(make).toThrow(TypeError);
      expect(make).toThrow(/"client" has keyPrefix "app:".*\(key: "app:events"\)/);
      expect(make).toThrow(expect.objectContaining({ code: 'ERR_SSE_INVALID_OPTION' }));
    }
    prefixed.disconnect();
    cluster.disconnect();
  });

  it('refuses a createReader whose ioredis client or cluster times blocking reads out, naming the fix', () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true });
    const timed = new Redis(REDIS_URL, { commandTimeout: 2_000, lazyConnect: true });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 7000 }], {
      redisOptions: { commandTimeout: 2_000 },
      lazyConnect: true,
    });
    for (const reader of [timed, cluster]) {
      const make = () =>
        redisBroker({ client, key: 'events', blockMs: 1_000, createReader: () => reader as never });
      expect(make).toThrow(TypeError);
      expect(make).toThrow(/commandTimeout 2000 ms.*blockMs 1000 ms.*without commandTimeout/);
    }
    // Longer than a blocking read and the broker's deadline after it: no read is cut short.
    const patient = new Redis(REDIS_URL, { commandTimeout: 60_000, lazyConnect: true });
    const broker = redisBroker({
      client,
      key: newKey(),
      blockMs: 1_000,
      createReader: () => patient,
    });
    void broker.close();
    client.disconnect();
    timed.disconnect();
    cluster.disconnect();
  });

  it('refuses options that are not an object (ERR_SSE_INVALID_ARGUMENT)', () => {
    expect(() => redisBroker(null as never)).toThrow(
      expect.objectContaining({ code: 'ERR_SSE_INVALID_ARGUMENT' }),
    );
  });

  // Redis hashes a whole key whose first braces are empty: a partition's stream and its records
  // would sit in different slots, and every publish fail with CROSSSLOT.
  it('refuses a Redis Cluster client with a key whose first braces are empty, at any partition count', () => {
    const ioredisCluster = new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true });
    const nodeRedisCluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] });
    for (const cluster of [ioredisCluster, nodeRedisCluster]) {
      for (const partitions of [1, 4]) {
        const make = () =>
          redisBroker({ client: cluster as never, key: 'app:{}:{chat}', partitions });
        expect(make).toThrow(TypeError);
        expect(make).toThrow(expect.objectContaining({ code: 'ERR_SSE_INVALID_OPTION' }));
        expect(make).toThrow(partitions === 1 ? /must have a hash tag/ : /empty braces.*CROSSSLOT/);
      }
    }
    ioredisCluster.disconnect();
  });

  it('refuses a Redis Cluster client of either library with the default key, which has no hash tag', () => {
    const ioredisCluster = new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true });
    const nodeRedisCluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] });
    for (const cluster of [ioredisCluster, nodeRedisCluster]) {
      expect(() => redisBroker({ client: cluster as never })).toThrow(TypeError);
      expect(() => redisBroker({ client: cluster as never })).toThrow(
        /"key" must have a hash tag on a Redis Cluster, like 'ssekit:\{events\}' \(got "ssekit:events"\)/,
      );
      expect(() => redisBroker({ client: cluster as never })).toThrow(
        expect.objectContaining({ code: 'ERR_SSE_INVALID_OPTION' }),
      );
    }
    ioredisCluster.disconnect();
  });

  it.skipIf(!available)('accepts a RedisConnection in place of a client', async () => {
    await client.connect();
    const broker = redisBroker({ client: nodeRedisConnection(client), key: newKey() });
    await broker.ready();
    expect(await broker.publish({ topic: 'a', data: 'x' })).toMatch(/^\d+-\d+$/);
    await broker.close();
    await client.close();
  });
});
