/** ssekit through @ssekit/h3 (`defineSseHandler`) on h3 v2, served by `h3/node`. */
import http from 'node:http';
import { defineSseHandler } from '@ssekit/h3';
import { H3 } from 'h3';
import { toNodeHandler } from 'h3/node';
import { fanOutFor, streamTokens } from '../lib/ssekit-routes.mjs';

const OPTIONS = { heartbeat: false };

export function start(options) {
  const fanOut = fanOutFor(options);
  const app = new H3();
  app.get(
    '/sse',
    defineSseHandler((_event, stream) => fanOut.add(stream), OPTIONS),
  );
  app.get(
    '/stream',
    defineSseHandler((event, stream) => streamTokens(event.req.url, stream), OPTIONS),
  );
  return {
    server: http.createServer(toNodeHandler(app)),
    subscribers: fanOut.subscribers,
    broadcast: fanOut.broadcast,
  };
}
