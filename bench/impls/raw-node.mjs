/**
 * The limit for Node: node:http, each broadcast serialized once to bytes and written with
 * `res.write` to every response, one write per event per socket.
 */
import { once } from 'node:events';
import http from 'node:http';
import { RAW_HEADERS, rawBroadcaster } from '../lib/raw-writes.mjs';
import { requestedEvents, tokenAt } from '../lib/workload.mjs';

async function streamTokens(req, res) {
  const events = requestedEvents(req.url);
  res.writeHead(200, RAW_HEADERS);
  for (let i = 0; i < events; i++) {
    if (!res.write(`data: ${tokenAt(i)}\n\n`)) await once(res, 'drain');
  }
  res.end();
}

export function start() {
  const fanOut = rawBroadcaster();
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/stream')) streamTokens(req, res);
    else fanOut.add(res);
  });
  return { server, ...fanOut.api };
}
