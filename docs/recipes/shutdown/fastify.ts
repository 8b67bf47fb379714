import { createHub } from '@ssekit/core';
import { sse } from '@ssekit/fastify';
import Fastify from 'fastify';

const app = Fastify();
const hub = createHub();
await app.register(sse);
app.get('/events', { sse: true }, (_request, reply) => {
  hub.subscribe(reply.sse, 'news');
});
const url = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${url}`);

process.once('SIGTERM', async () => {
  const closed = app.close(); // 1. accept no new connections (Fastify answers 503 meanwhile)
  await hub.close({ retry: 1000 }); // 2. every client gets a 1 s retry hint; its stream ends
  await closed; // 3. Fastify closes the idle sockets and runs its onClose hooks
});
