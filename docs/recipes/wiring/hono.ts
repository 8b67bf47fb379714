import { serve } from '@hono/node-server';
import { createSseResponse } from '@ssekit/core';
import { Hono } from 'hono';

const app = new Hono();
app.get('/time', (c) =>
  createSseResponse(c.req.raw, (stream) => {
    const tick = () => stream.send({ event: 'time', data: new Date().toISOString() });
    tick();
    const timer = setInterval(tick, 1000);
    stream.closed.then(() => clearInterval(timer)); // the client left
  }),
);
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) =>
  console.log(`listening on http://127.0.0.1:${info.port}`),
);
