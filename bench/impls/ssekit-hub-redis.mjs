/**
 * The hub on @ssekit/redis through @ssekit/express: every instance started with the same
 * SSEKIT_BENCH_REDIS_KEY shares one Redis stream. The key is deleted when the instance stops.
 */
import http from 'node:http';
import { createHub } from '@ssekit/core';
import { sseHandler } from '@ssekit/express';
import { redisBroker } from '@ssekit/redis';
import express from 'express5';
import { createClient } from 'redis';

const TOPIC = 'bench';
const REDIS_URL = process.env.SSEKIT_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function start() {
  const key = process.env.SSEKIT_BENCH_REDIS_KEY;
  if (key === undefined) throw new TypeError('ssekit-hub-redis needs SSEKIT_BENCH_REDIS_KEY');
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  const broker = redisBroker({ client, key, maxEvents: 10_000 });
  await broker.ready();
  const hub = createHub({ broker });
  const app = express();
  app.get(
    '/sse',
    sseHandler((_req, res) => hub.subscribe(res.sse, TOPIC), { heartbeat: false }),
  );
  return {
    server: http.createServer(app),
    subscribers: () => hub.stats().openStreams,
    broadcast: (payload) => void hub.publish(TOPIC, { data: payload }),
    async stop() {
      await hub.close();
      await client.del(key);
      await client.quit();
    },
  };
}
