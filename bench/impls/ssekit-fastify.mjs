/** ssekit through @ssekit/fastify (`{ sse: true }` routes, so `reply.sse`) on Fastify 5. */
import { sse } from '@ssekit/fastify';
import { fastifyApp } from '../lib/fastify-server.mjs';
import { fanOutFor, streamTokens } from '../lib/ssekit-routes.mjs';

export async function start(options) {
  const fanOut = fanOutFor(options);
  const { app, server } = fastifyApp();
  await app.register(sse, { heartbeat: false });
  app.get('/sse', { sse: true }, (_request, reply) => {
    fanOut.add(reply.sse.open());
  });
  app.get('/stream', { sse: true }, (request, reply) => {
    void streamTokens(request.url, reply.sse.open());
  });
  await app.ready();
  return { server, subscribers: fanOut.subscribers, broadcast: fanOut.broadcast };
}
