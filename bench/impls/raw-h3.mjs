/**
 * h3 v2 on node:http (`h3/node`) writing to the Node response by hand, no SSE library: the
 * route is a `fromNodeHandler` handler, h3's documented way to reach `res`. h3's own cost.
 */
import http from 'node:http';
import { fromNodeHandler, H3 } from 'h3';
import { toNodeHandler } from 'h3/node';
import { rawBroadcaster } from '../lib/raw-writes.mjs';

export function start() {
  const fanOut = rawBroadcaster();
  const app = new H3();
  app.get(
    '/sse',
    // h3 finishes the response once the handler settles: it settles when the client leaves.
    fromNodeHandler((_req, res) => {
      fanOut.add(res);
      return new Promise((resolve) => res.once('close', resolve));
    }),
  );
  return { server: http.createServer(toNodeHandler(app)), ...fanOut.api };
}
