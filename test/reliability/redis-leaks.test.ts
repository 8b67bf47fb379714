/**
 * Leaks with the hub on Redis: the same waves as leaks.test.ts, with `@ssekit/redis` as the
 * broker (node-redis and ioredis), so replays for reconnecting clients read Redis Streams. After
 * the waves the active handles (the Redis connections included), the hub's subscriptions, the
 * heartbeat registry and the heap are back to their baseline. Keys live under a random prefix
 * and are deleted at the end; nothing else in Redis is touched.
 */
import { createHub, type Hub, type SseStream } from '@ssekit/core';
import { redisBroker } from '@ssekit/redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  deleteKeysUnder,
  REDIS_URL,
  randomPrefix,
  redisIsAvailable,
} from '../redis/support/redis.js';
import { churnWave } from './support/clients.js';
import { recordFigures, scaled } from './support/figures.js';
import { grownHandles, MiB, snapshot } from './support/measure.js';
import { nodeBridge } from './support/targets.js';
import { until } from './support/wait.js';

const WAVES = scaled({ quick: 3, soak: 10 });
const PER_WAVE = scaled({ quick: 150, soak: 500 });
const HEAP_MARGIN = 2 * MiB;
const prefix = randomPrefix();
const available = await redisIsAvailable('reliability/redis-leaks');

type Connect = () => Promise<{
  client: Parameters<typeof redisBroker>[0]['client'];
  quit(): Promise<unknown>;
}>;

const clients: Array<{ name: string; connect: Connect }> = [
  {
    name: 'node-redis',
    connect: async () => {
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      return { client, quit: () => client.quit() };
    },
  },
  {
    name: 'ioredis',
    connect: async () => {
      const client = new Redis(REDIS_URL);
      await new Promise((resolve) => client.once('ready', resolve));
      return { client, quit: () => client.quit() };
    },
  },
];

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

describe.skipIf(!available)('leaks with the hub on Redis', () => {
  for (const { name, connect } of clients) {
    it(`${name}: ${WAVES} waves of ${PER_WAVE} clients leave nothing behind`, {
      timeout: 180_000,
    }, async () => {
      const connection = await connect();
      const broker = redisBroker({
        client: connection.client,
        key: `${prefix}${name}`,
        maxEvents: 100,
        blockMs: 1000,
      });
      await broker.ready();
      const hub: Hub = createHub({ broker });
      const live = new Map<string, SseStream>();
      const server = await nodeBridge.start(
        (stream, path) => {
          live.set(path, stream);
          stream.closed.then(() => live.delete(path));
          hub.subscribe(stream, 'ticks');
        },
        { stream: { heartbeat: 2000 } },
      );
      let lastId = '';
      const publish = async () => {
        lastId = await hub.publish('ticks', { data: { after: lastId } });
      };
      for (let i = 0; i < 100; i++) await publish();
      // The publisher pauses around each snapshot, so its own pending timer is never counted.
      let publishing = false;
      let publisher = Promise.resolve();
      const startPublishing = () => {
        publishing = true;
        publisher = (async () => {
          while (publishing) {
            await publish();
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
        })();
      };
      const stopPublishing = async () => {
        publishing = false;
        await publisher;
      };
      startPublishing();

      const runWave = async () => {
        await churnWave({
          origin: server.url,
          count: PER_WAVE,
          pathOf: (client) => `/events?client=${client}`,
          lastId,
          live,
          firstEventTimeoutMs: 60_000,
        });
        await until(
          () => live.size === 0 && server.openSockets() === 0,
          'every stream and socket to close',
          30_000,
        );
      };

      await runWave();
      await stopPublishing();
      const before = await snapshot();
      const statsBefore = hub.stats();
      startPublishing();
      for (let wave = 0; wave < WAVES; wave++) await runWave();
      await stopPublishing();
      const after = await snapshot();
      const statsAfter = hub.stats();

      expect(grownHandles(before, after)).toEqual({});
      expect(after.heartbeat).toEqual({ streams: 0, timers: 0 });
      expect(statsAfter.openStreams).toBe(0);
      expect(statsAfter.subscribers).toEqual({});
      expect(after.heapUsed - before.heapUsed).toBeLessThan(HEAP_MARGIN);

      await hub.close();
      await server.close();
      await connection.quit();

      recordFigures({
        scenario: 'Leaks (waves, Redis broker)',
        target: `core/node + @ssekit/redis (${name})`,
        clients: WAVES * PER_WAVE,
        events: statsAfter.eventsPublished - statsBefore.eventsPublished,
        handlesBefore: before.handleCount,
        handlesAfter: after.handleCount,
        memoryBefore: before.heapUsed,
        memoryAfter: after.heapUsed,
        errors: 0,
        note: `${WAVES} waves of ${PER_WAVE}; ${statsAfter.replaysServed - statsBefore.replaysServed} replays from Redis Streams; hub subscriptions back to {}, heartbeat registry 0/0`,
      });
    });
  }
});
