/**
 * A read loop whose connection hangs: its blocking read gets no reply and never fails (a client
 * library waiting for ever on a node that is gone, which the connection contract forbids but a
 * library can still do). Past the read's deadline (its BLOCK time plus 5 s) the loop reports it,
 * replaces the connection and reads on from where it was: what was published meanwhile reaches
 * the client once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import { nodeRedisConnection, type RedisConnection, redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { fetchReader } from '../hub/support/clients.js';
import { until } from '../support/wait.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis hung read');
const prefix = randomPrefix();
let keys = 0;

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

/** What a test reader saw of the connection it wraps. */
interface Reader {
  reads: number;
  destroyed: boolean;
}

/**
 * A real node-redis connection whose XREADs never answer when `hangs(args)` says so; `readers`
 * gets what each one saw.
 */
function readerOf(
  real: RedisConnection,
  readers: Reader[],
  hangs: (args: readonly string[]) => boolean,
): RedisConnection {
  const seen = { reads: 0, destroyed: false };
  readers.push(seen);
  return {
    get isReady() {
      return real.isReady;
    },
    command: (args) => {
      if (args[0] !== 'XREAD') return real.command(args);
      seen.reads += 1;
      return hangs(args) ? new Promise(() => {}) : real.command(args);
    },
    onError: (listener) => real.onError(listener),
    duplicate: () => real.duplicate(),
    connect: () => real.connect(),
    destroy: () => {
      seen.destroyed = true;
      real.destroy();
    },
  };
}

describe.skipIf(!available)('a read connection that hangs', () => {
  /** A hub on a broker with `createReader`, serving one SSE client; what it got, what onError got. */
  async function instance(
    createReader: (client: ReturnType<typeof createClient>) => RedisConnection,
  ) {
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    await client.connect();
    onTestFinished(() => client.destroy());
    const errors: string[] = [];
    const broker = redisBroker({
      client,
      key: `${prefix}hung${++keys}`,
      blockMs: 200,
      createReader: () => createReader(client),
      onError: (error) => errors.push(error.message),
    });
    const hub = createHub({ broker });
    const server = http.createServer((req, res) => {
      hub.subscribe(openSseStream(req, res, { heartbeat: false }), 'prices');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await hub.close();
    });
    await broker.ready();
    const reader = fetchReader(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    onTestFinished(async () => {
      reader.abort();
      await reader.done;
    });
    await until(() => hub.stats().openStreams === 1, 'the client to subscribe');
    const data = () =>
      reader.events.filter((event) => event.event === undefined).map((event) => event.data);
    return { hub, errors, data };
  }

  it('replaces a read connection whose reads never answer, and delivers what was published meanwhile, once', async () => {
    const readers: Reader[] = [];
    const { hub, errors, data } = await instance((client) => {
      const first = readers.length === 0;
      return readerOf(nodeRedisConnection(client.duplicate()), readers, () => first);
    });
    await hub.publish('prices', { data: 'while the read hangs' });
    await until(() => data().length > 0, 'the event, through a new read connection', 15_000);
    await hub.publish('prices', { data: 'after' });
    await until(() => data().length > 1, 'the next event');
    expect(data()).toEqual(['while the read hangs', 'after']);
    expect(readers).toHaveLength(2);
    expect(readers[0]).toEqual({ reads: 1, destroyed: true });
    expect(readers[1]?.destroyed).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/got no reply within 5200 ms; the connection was replaced/);
  }, 30_000);

  it('asks for fewer entries after a hang (a reply too large to come in time), and keeps its connection when no new one can be made', async () => {
    const readers: Reader[] = [];
    let created = 0;
    const { hub, errors, data } = await instance((client) => {
      created += 1;
      if (created === 2) throw new Error('createReader: no connection now');
      // As a reply too large for the link: a read of more than 8 entries never comes (the first
      // reads ask for 16, before any entry's size is known).
      const tooMany = (args: readonly string[]) => Number(args[args.indexOf('COUNT') + 1]) > 8;
      return readerOf(nodeRedisConnection(client.duplicate()), readers, tooMany);
    });
    await hub.publish('prices', { data: 'while the read hangs' });
    await until(() => data().length > 0, 'the event, through a smaller read', 15_000);
    expect(data()).toEqual(['while the read hangs']);
    expect(created).toBe(2);
    expect(readers).toHaveLength(1);
    expect(readers[0]?.destroyed).toBe(false);
    expect(errors).toEqual([
      expect.stringMatching(
        /a read connection hung and no new one could be made \(createReader: no connection now\)/,
      ),
    ]);
  }, 30_000);
});
