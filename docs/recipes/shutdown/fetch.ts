import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createHub, createSseResponse } from '@ssekit/core';
import { Hono } from 'hono';

const hub = createHub();
const app = new Hono();
app.get('/events', (c) => createSseResponse(c.req.raw, (stream) => hub.subscribe(stream, 'news')));
const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' },
  ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
) as Server; // node:http's, unless you pass serve() another createServer

process.once('SIGTERM', async () => {
  server.close(); // 1. accept no new connections
  await hub.close({ retry: 1000 }); // 2. every client gets a 1 s retry hint; its stream ends
  server.closeIdleConnections(); // 3. keep-alive sockets, now idle
  setTimeout(() => server.closeAllConnections(), 5000).unref(); // 4. a client that never read
});
