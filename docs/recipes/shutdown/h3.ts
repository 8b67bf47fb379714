import { createHub } from '@ssekit/core';
import { defineSseHandler } from '@ssekit/h3';
import { H3, serve } from 'h3';

const hub = createHub();
const app = new H3();
app.get(
  '/events',
  defineSseHandler((_event, stream) => hub.subscribe(stream, 'news')),
);
const server = serve(app, {
  port: Number(process.env.PORT ?? 3000),
  hostname: '127.0.0.1',
  silent: true,
});
await server.ready();
console.log(`listening on ${server.url}`);

process.once('SIGTERM', async () => {
  const closed = server.close(); // 1. accept no new connections
  await hub.close({ retry: 1000 }); // 2. every client gets a 1 s retry hint; its stream ends
  await closed; // 3. the server has let go of every socket
});
