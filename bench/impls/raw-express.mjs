/** Express 5 writing to the response by hand, no SSE library: Express's own cost per connection. */
import http from 'node:http';
import express from 'express5';
import { rawBroadcaster } from '../lib/raw-writes.mjs';

export function start() {
  const fanOut = rawBroadcaster();
  const app = express();
  app.get('/sse', (_req, res) => fanOut.add(res));
  return { server: http.createServer(app), ...fanOut.api };
}
