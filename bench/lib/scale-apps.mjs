/**
 * The two servers of `bench/scale.mjs`: idle SSE connections kept alive by a heartbeat, by hand
 * with node:http or with ssekit. `scale-server.mjs` runs one per process; `heap-per-connection.mjs`
 * loads them as `scale-raw` and `scale-ssekit` to say where each byte goes.
 */
import http from 'node:http';
import { createHub } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import { RAW_HEADERS } from './raw-writes.mjs';

const TOPIC = 'scale';
const HEARTBEAT = Buffer.from(':\n\n');

/** node:http by hand: one Set of responses, one timer writing a comment to each. */
export function rawApp(heartbeatMs) {
  const subscribers = new Set();
  const timer = setInterval(() => {
    for (const res of subscribers) res.write(HEARTBEAT);
  }, heartbeatMs);
  return {
    server: http.createServer((_req, res) => {
      res.writeHead(200, RAW_HEADERS);
      res.flushHeaders();
      subscribers.add(res);
      res.on('close', () => subscribers.delete(res));
    }),
    subscribers: () => subscribers.size,
    broadcast(payload) {
      const bytes = Buffer.from(`data: ${JSON.stringify(payload)}\n\n`);
      for (const res of subscribers) res.write(bytes);
    },
    stop: () => clearInterval(timer),
  };
}

/** ssekit as its README shows it: `openSseStream` with its shared heartbeat, on one hub topic. */
export function ssekitApp(heartbeatMs) {
  const hub = createHub();
  return {
    server: http.createServer((req, res) => {
      hub.subscribe(openSseStream(req, res, { heartbeat: heartbeatMs }), TOPIC);
    }),
    subscribers: () => hub.stats().openStreams,
    broadcast: (payload) => void hub.publish(TOPIC, { data: payload }),
    stop: () => hub.close(),
  };
}
