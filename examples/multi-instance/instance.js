/**
 * One server instance: an HTTP server whose hub shares the Redis stream `key` with every other
 * instance. Each connection first gets an `instance` event naming the instance that serves it,
 * then the `ticks` topic, replayed from its Last-Event-ID when it has one.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createHub } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import { redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';

const page = new URL('./index.html', import.meta.url);

/**
 * Starts an instance on 127.0.0.1:`port` (0 for any). It publishes a tick every `tickMs`
 * (0 for none). Resolves to `{ name, url, close() }`.
 */
export async function startInstance({ name, port = 0, redisUrl, key, tickMs = 2000 }) {
  const client = createClient({ url: redisUrl });
  await client.connect();
  const broker = redisBroker({ client, key, maxEvents: 1000 });
  await broker.ready();
  const hub = createHub({ broker });

  let ticks = 0;
  const publishTick = () =>
    hub.publish('ticks', { data: { by: name, text: `tick ${++ticks}` } }).catch((error) => {
      console.error(`[${name}] publish failed: ${error.message}`);
    });
  const ticker = tickMs > 0 ? setInterval(publishTick, tickMs) : undefined;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/events') {
      const stream = openSseStream(req, res);
      stream.send({ event: 'instance', data: name });
      hub.subscribe(stream, 'ticks');
      return;
    }
    if (url.pathname === '/publish' && req.method === 'POST') {
      try {
        const id = await hub.publish('ticks', { data: { by: name, text: 'published by hand' } });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
      } catch (error) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: error.message }));
      }
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(await readFile(page));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(undefined)));

  return {
    name,
    url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`,
    async close() {
      if (ticker !== undefined) clearInterval(ticker);
      await hub.close({ retry: 500 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await client.close();
    },
  };
}
