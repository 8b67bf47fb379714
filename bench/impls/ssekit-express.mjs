/** ssekit through @ssekit/express (`sseHandler`, so `res.sse`) on Express 5. */
import http from 'node:http';
import { sseHandler } from '@ssekit/express';
import express from 'express5';
import { fanOutFor, streamTokens } from '../lib/ssekit-routes.mjs';

const OPTIONS = { heartbeat: false };

export function start(options) {
  const fanOut = fanOutFor(options);
  const app = express();
  app.get(
    '/sse',
    sseHandler((_req, res) => fanOut.add(res.sse.open()), OPTIONS),
  );
  app.get(
    '/stream',
    sseHandler((req, res) => streamTokens(req.url, res.sse.open()), OPTIONS),
  );
  return {
    server: http.createServer(app),
    subscribers: fanOut.subscribers,
    broadcast: fanOut.broadcast,
  };
}
