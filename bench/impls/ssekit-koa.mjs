/** ssekit through @ssekit/koa (`sse()` middleware, so `ctx.sse`) on Koa 3. */
import http from 'node:http';
import { sse } from '@ssekit/koa';
import Koa from 'koa3';
import { fanOutFor, streamTokens } from '../lib/ssekit-routes.mjs';

export function start(options) {
  const fanOut = fanOutFor(options);
  const app = new Koa();
  app.use(sse({ heartbeat: false }));
  app.use((ctx) => {
    // Routed on the raw URL, as the raw rows do: ctx.path would parse and keep a URL per request.
    if (ctx.url.startsWith('/stream')) streamTokens(ctx.url, ctx.sse.open());
    else fanOut.add(ctx.sse.open());
  });
  return {
    server: http.createServer(app.callback()),
    subscribers: fanOut.subscribers,
    broadcast: fanOut.broadcast,
  };
}
