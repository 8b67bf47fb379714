/**
 * The limit for Node: node:http, each broadcast serialized once to bytes and written with
 * `res.write` to every response, one write per event per socket.
 */
import { once } from 'node:events';
import http from 'node:http';
import { requestedEvents, tokenAt } from '../lib/workload.mjs';

const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
};

export function start() {
  const subscribers = new Set();

  async function streamTokens(req, res) {
    const events = requestedEvents(req.url);
    res.writeHead(200, HEADERS);
    for (let i = 0; i < events; i++) {
      if (!res.write(`data: ${tokenAt(i)}\n\n`)) await once(res, 'drain');
    }
    res.end();
  }

  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/stream')) return void streamTokens(req, res);
    res.writeHead(200, HEADERS);
    res.flushHeaders();
    subscribers.add(res);
    res.on('close', () => subscribers.delete(res));
  });

  return {
    server,
    subscribers: () => subscribers.size,
    broadcast(payload) {
      const bytes = Buffer.from(`data: ${JSON.stringify(payload)}\n\n`);
      for (const res of subscribers) res.write(bytes);
    },
  };
}
