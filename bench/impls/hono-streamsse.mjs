/** Hono's `streamSSE` on @hono/node-server. */
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { requestedEvents, tokenAt } from '../lib/workload.mjs';

const noop = () => {};

export function start() {
  const subscribers = new Set();
  const app = new Hono();
  app.get('/sse', (c) =>
    streamSSE(c, async (stream) => {
      subscribers.add(stream);
      await new Promise((resolve) => stream.onAbort(resolve));
      subscribers.delete(stream);
    }),
  );
  app.get('/stream', (c) => {
    const events = requestedEvents(c.req.url);
    return streamSSE(c, async (stream) => {
      for (let i = 0; i < events; i++) await stream.writeSSE({ data: tokenAt(i) });
    });
  });

  return {
    server: createAdaptorServer({ fetch: app.fetch }),
    subscribers: () => subscribers.size,
    broadcast(payload) {
      const message = { data: JSON.stringify(payload) };
      for (const stream of subscribers) stream.writeSSE(message).catch(noop);
    },
  };
}
