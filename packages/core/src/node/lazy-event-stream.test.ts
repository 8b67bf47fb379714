import { describe, expect, it } from 'vitest';
import type { EventStream } from '../event-stream.js';
import { exposeAsSse, type LazyEventStream } from './lazy-event-stream.js';

/** A lazy stream that hands out `stream`; `exposeAsSse` only ever calls `open()`. */
function lazyOpening(stream: string): LazyEventStream {
  return { open: () => stream as unknown as EventStream } as unknown as LazyEventStream;
}

describe('exposeAsSse', () => {
  it('each owner reads its own stream when two copies of @ssekit/core/node share a prototype', async () => {
    // A second instance of the module, as a duplicated install of @ssekit/core loads it.
    const secondInstance = './lazy-event-stream.js?copy';
    const copy: typeof import('./lazy-event-stream.js') = await import(secondInstance);
    class Response {}
    const first = new Response();
    const second = new Response();
    exposeAsSse(first, lazyOpening('first'));
    copy.exposeAsSse(second, lazyOpening('second'));
    expect((first as { sse?: unknown }).sse).toBe('first');
    expect((second as { sse?: unknown }).sse).toBe('second');
  });
});
