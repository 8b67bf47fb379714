import { readFileSync } from 'node:fs';
import { createSseResponse } from '@ssekit/core';
import { readLastEventId } from '@ssekit/core/adapter';
import { vendorModule, withImportMap } from '../browser-client.js';
import { fakeModel } from './model.js';

const page = withImportMap(readFileSync(new URL('./index.html', import.meta.url), 'utf8'));

/** The id of the final event: a client that reconnects with it gets 204 and stops. */
export const DONE_ID = 'done';

/**
 * A fetch handler (`Request` in, `Response` out): it runs unchanged on srvx, Bun, Deno, Hono or
 * a Cloudflare Worker. `/` serves the page (and `/vendor/` the built @ssekit/client it imports);
 * `POST /generate` with `{ "prompt": … }` streams the answer, as the page asks it, and
 * `GET /generate?prompt=…` too, for EventSource and curl, which cannot send a body.
 */
export function createApp({ tokenDelayMs = 60 } = {}) {
  return {
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === '/') {
        return new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } });
      }
      if (url.pathname === '/generate') {
        const prompt =
          request.method === 'POST'
            ? (await request.json().catch(() => ({}))).prompt
            : url.searchParams.get('prompt');
        return generate(request, prompt);
      }
      const module = await vendorModule(url.pathname);
      if (module) return new Response(module.body, { headers: { 'content-type': module.type } });
      return new Response('Not found', { status: 404 });
    },
  };

  function generate(request, prompt) {
    if (typeof prompt !== 'string' || !prompt) {
      return new Response('Add a prompt: ?prompt=… or a JSON body { "prompt": … }', {
        status: 400,
      });
    }
    // The page closes its client on `done`, so it never gets here. A client that does not (curl,
    // a forgotten close) reconnects with the final id: 204 tells it there is nothing more.
    if (readLastEventId(request.headers.get('last-event-id')) === DONE_ID) {
      return new Response(null, { status: 204 });
    }
    return createSseResponse(request, async (stream) => {
      let count = 0;
      // pipe waits for a slow reader, and stops the model (return()) when the client leaves.
      const tokens = fakeModel(prompt, { signal: request.signal, tokenDelayMs });
      const finished = await stream.pipe(tokens, (token) => {
        count += 1;
        return { event: 'token', data: token };
      });
      if (!finished) return;
      stream.send({ id: DONE_ID, event: 'done', data: { tokens: count } });
      stream.close();
    });
  }
}
