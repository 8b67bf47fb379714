/** Fastify 5 writing to `reply.raw` by hand after `reply.hijack()`, no SSE library: Fastify's own cost. */
import { fastifyApp } from '../lib/fastify-server.mjs';
import { rawBroadcaster } from '../lib/raw-writes.mjs';

export async function start() {
  const fanOut = rawBroadcaster();
  const { app, server } = fastifyApp();
  app.get('/sse', (_request, reply) => {
    reply.hijack();
    fanOut.add(reply.raw);
  });
  await app.ready();
  return { server, ...fanOut.api };
}
