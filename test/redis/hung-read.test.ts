/**
 * A read loop whose connection hangs: its blocking read gets no reply and never fails (a client
 * library waiting for ever on a node that is gone, which the connection contract forbids but a
 * library can still do). Past the read's deadline the loop reports it, replaces the connection
 * and reads on from where it was: what was published meanwhile reaches the client once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import { nodeRedisConnection, type RedisConnection, redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';
import { afterAll, expect, it, onTestFinished } from 'vitest';
import { fetchReader } from '../hub/support/clients.js';
import { until } from '../support/wait.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis hung read');
const prefix = randomPrefix();

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

it.skipIf(!available)(
  'replaces a read connection whose read never answers, and delivers what was published meanwhile, once',
  async () => {
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    await client.connect();
    onTestFinished(() => client.destroy());
    /** Each reader the broker asked for: the first one's blocking reads never answer. */
    const readers: Array<{ reads: number; destroyed: boolean }> = [];
    const createReader = (): RedisConnection => {
      const real = nodeRedisConnection(client.duplicate());
      const hangs = readers.length === 0;
      const seen = { reads: 0, destroyed: false };
      readers.push(seen);
      return {
        get isReady() {
          return real.isReady;
        },
        command: (args) => {
          if (args[0] !== 'XREAD') return real.command(args);
          seen.reads += 1;
          return hangs ? new Promise(() => {}) : real.command(args);
        },
        onError: (listener) => real.onError(listener),
        duplicate: () => real.duplicate(),
        connect: () => real.connect(),
        destroy: () => {
          seen.destroyed = true;
          real.destroy();
        },
      };
    };
    const errors: string[] = [];
    const broker = redisBroker({
      client,
      key: `${prefix}hung`,
      blockMs: 200,
      createReader,
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
    await hub.publish('prices', { data: 'while the read hangs' });
    const data = () =>
      reader.events.filter((event) => event.event === undefined).map((event) => event.data);
    // The deadline: the read's 200 ms of BLOCK, plus 5 s.
    await until(() => data().length > 0, 'the event, through a new read connection', 15_000);
    await hub.publish('prices', { data: 'after' });
    await until(() => data().length > 1, 'the next event');
    expect(data()).toEqual(['while the read hangs', 'after']);
    expect(readers).toHaveLength(2);
    expect(readers[0]).toEqual({ reads: 1, destroyed: true });
    expect(readers[1]?.destroyed).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/got no reply within 5200 ms; the connection is replaced/);
  },
  30_000,
);
