import { createServer } from 'node:http';
import { createHub } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';

const hub = createHub();
const server = createServer((req, res) => hub.subscribe(openSseStream(req, res), 'news'));
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});

process.once('SIGTERM', async () => {
  server.close(); // 1. accept no new connections
  await hub.close({ retry: 1000 }); // 2. every client gets a 1 s retry hint; its stream ends
  server.closeIdleConnections(); // 3. keep-alive sockets, now idle
  setTimeout(() => server.closeAllConnections(), 5000).unref(); // 4. a client that never read
});
