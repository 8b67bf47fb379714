import { readFileSync } from 'node:fs';
import { createSseResponse } from '@ssekit/core';
import { Hono } from 'hono';
import { postcards } from './postcards.js';
import { createSequence } from './sequence.js';

const page = readFileSync(new URL('./index.html', import.meta.url), 'utf8');

/** The feed on Hono: `/` serves the page, `/feed` streams this connection's postcards. */
export function createFeedApp({ intervalMs = 1000, cache = postcards } = {}) {
  const app = new Hono();
  app.get('/', (c) => c.html(page));
  app.get('/feed', (c) =>
    createSseResponse(
      c.req.raw,
      (stream) => {
        // `stream.lastEventId` is the id of the last postcard the browser saw, if it reconnected.
        const sequence = createSequence(cache, stream.lastEventId);
        stream.send(sequence.next());
        const timer = setInterval(() => stream.send(sequence.next()), intervalMs);
        stream.closed.then(() => clearInterval(timer));
      },
      // Ask browsers to come back after 1 s rather than their default 3 s.
      { retry: 1000 },
    ),
  );
  return app;
}
