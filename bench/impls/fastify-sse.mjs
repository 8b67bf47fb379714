/**
 * @fastify/sse 0.6 on Fastify 5, as its README shows it: `{ sse: true }` routes, `reply.sse.send`
 * per subscriber (it serializes per call), `keepAlive()` so the stream outlives the handler.
 * Heartbeats off, as for every implementation here.
 */
import fastifySse from '@fastify/sse';
import { fastifyApp } from '../lib/fastify-server.mjs';
import { requestedEvents, tokenAt } from '../lib/workload.mjs';

export async function start() {
  const subscribers = new Set();
  const { app, server } = fastifyApp();
  await app.register(fastifySse, { heartbeatInterval: 0 });
  app.get('/sse', { sse: true }, async (_request, reply) => {
    const context = reply.sse;
    context.keepAlive();
    context.sendHeaders();
    subscribers.add(context);
    context.onClose(() => subscribers.delete(context));
  });
  // Each send resolves once the response took it (its backpressure): the documented loop.
  app.get('/stream', { sse: true }, async (request, reply) => {
    const events = requestedEvents(request.url);
    for (let i = 0; i < events; i++) await reply.sse.send(tokenAt(i));
  });
  await app.ready();
  return {
    server,
    subscribers: () => subscribers.size,
    broadcast(payload) {
      for (const context of subscribers) void context.send({ data: payload });
    },
  };
}
