import { readFileSync } from 'node:fs';
import { createSseResponse } from '@ssekit/core';
import { Hono } from 'hono';
import { vendorModule, withImportMap } from '../browser-client.js';
import { postcards } from './postcards.js';
import { createSequence } from './sequence.js';

const page = withImportMap(readFileSync(new URL('./index.html', import.meta.url), 'utf8'));

/**
 * The feed on Hono: `/` serves the page (and `/vendor/` the built @ssekit/client it imports),
 * `/feed` streams this connection's postcards.
 */
export function createFeedApp({ intervalMs = 1000, cache = postcards } = {}) {
  const app = new Hono();
  app.get('/', (c) => c.html(page));
  // The built @ssekit/client the page imports (see ../browser-client.js).
  app.get('/vendor/*', async (c) => {
    const module = await vendorModule(c.req.path);
    if (module === undefined) return c.notFound();
    return c.body(module.body, 200, { 'content-type': module.type });
  });
  app.get('/feed', (c) =>
    createSseResponse(
      c.req.raw,
      (stream) => {
        // `stream.lastEventId` is the id of the last postcard the page saw, if it reconnected.
        const sequence = createSequence(cache, stream.lastEventId);
        stream.send(sequence.next());
        const timer = setInterval(() => stream.send(sequence.next()), intervalMs);
        stream.closed.then(() => clearInterval(timer));
      },
      // How soon to come back after a loss: the base of @ssekit/client's backoff (EventSource: 3 s).
      { retry: 1000 },
    ),
  );
  return app;
}
