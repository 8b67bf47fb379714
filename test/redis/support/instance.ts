/**
 * One server instance for the multi-process suites, run as a child process (bundled by
 * `instances.ts`). Its settings come as JSON in SSEKIT_INSTANCE; it prints `{"port":N}` once
 * listening on 127.0.0.1. Routes:
 *   GET  /events?topic=a&topic=b   an event stream subscribed to the topics through the hub
 *   POST /publish?topic=a&count=N&start=S&pad=P   publishes N events with data {"n":S+i} (and
 *        P bytes of padding), one after the other; answers {"ids":[...]} or 503 {"error":"..."}
 *        at the first failure
 *   GET  /stats   hub.stats() plus the broker cursor
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHub } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import { redisBroker } from '@ssekit/redis';
import { type ClientName, clientLibraries } from './clients.js';

export interface InstanceConfig {
  name: string;
  redisUrl: string;
  key: string;
  client: ClientName;
  maxEvents?: number;
  heartbeatMs?: number;
  blockMs?: number;
  maxBufferedBytes?: number;
}

const config = JSON.parse(process.env.SSEKIT_INSTANCE ?? '{}') as InstanceConfig;

const library = clientLibraries[config.client];
const client = await library.connected(config.redisUrl);
const broker = redisBroker({
  client,
  key: config.key,
  maxEvents: config.maxEvents,
  blockMs: config.blockMs,
  onError: (error) => console.error(`[${config.name}] ${error.message}`),
});
await broker.ready();
const hub = createHub({ broker });

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    res.statusCode = 500;
    res.end(String(error));
  });
});

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/events') {
    const stream = openSseStream(req, res, {
      heartbeat: config.heartbeatMs ?? 15_000,
      maxBufferedBytes: config.maxBufferedBytes,
    });
    hub.subscribe(stream, url.searchParams.getAll('topic'));
    return;
  }
  if (url.pathname === '/publish' && req.method === 'POST') {
    const topic = url.searchParams.get('topic') ?? 'a';
    const count = Number(url.searchParams.get('count') ?? 1);
    const start = Number(url.searchParams.get('start') ?? 0);
    const pad = 'p'.repeat(Number(url.searchParams.get('pad') ?? 0));
    const ids: string[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const data =
          pad === '' ? { n: start + i, by: config.name } : { n: start + i, by: config.name, pad };
        ids.push(await hub.publish(topic, { data }));
      }
    } catch (error) {
      reply(res, 503, { error: error instanceof Error ? error.message : String(error), ids });
      return;
    }
    reply(res, 200, { ids });
    return;
  }
  if (url.pathname === '/stats') {
    reply(res, 200, { ...hub.stats(), cursor: broker.cursor() });
    return;
  }
  reply(res, 404, { error: 'not found' });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});

process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  hub
    .close()
    .then(() => library.close(client))
    .finally(() => process.exit(0));
});
