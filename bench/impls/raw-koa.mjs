/** Koa 3 writing to `ctx.res` by hand, no SSE library: Koa's own cost per connection. */
import http from 'node:http';
import Koa from 'koa3';
import { rawBroadcaster } from '../lib/raw-writes.mjs';

export function start() {
  const fanOut = rawBroadcaster();
  const app = new Koa();
  app.use((ctx) => {
    ctx.respond = false;
    fanOut.add(ctx.res);
  });
  return { server: http.createServer(app.callback()), ...fanOut.api };
}
