import { describe, expect, it } from 'vitest';
import { exposeAsSse } from './expose-as-sse.js';
import { LazySseStream } from './lazy-sse-stream.js';

/** A handle on a request and response the test never touches: reading it opens nothing. */
function handle(): LazySseStream {
  return new LazySseStream({ headers: {} }, {} as never, {}, 'res.sse');
}

describe('exposeAsSse', () => {
  it('each owner reads its own stream when two copies of @ssekit/core/adapter share a prototype', async () => {
    // A second instance of the module, as a duplicated install of @ssekit/core loads it.
    const secondInstance = './expose-as-sse.js?copy';
    const copy: typeof import('./expose-as-sse.js') = await import(secondInstance);
    class Response {}
    const first = new Response();
    const second = new Response();
    const firstHandle = handle();
    const secondHandle = handle();
    exposeAsSse(first, firstHandle);
    copy.exposeAsSse(second, secondHandle);
    expect((first as { sse?: unknown }).sse).toBe(firstHandle);
    expect((second as { sse?: unknown }).sse).toBe(secondHandle);
    expect((new Response() as { sse?: unknown }).sse).toBeUndefined();
  });
});
