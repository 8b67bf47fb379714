import { describe, expect, it } from 'vitest';
import type { SseStream } from '../sse-stream.js';
import { exposeAsSse, type LazySseStream } from './lazy-sse-stream.js';

/** A lazy stream that hands out `stream`; `exposeAsSse` only ever calls `open()`. */
function lazyOpening(stream: string): LazySseStream {
  return { open: () => stream as unknown as SseStream } as unknown as LazySseStream;
}

describe('exposeAsSse', () => {
  it('each owner reads its own stream when two copies of @ssekit/core/node share a prototype', async () => {
    // A second instance of the module, as a duplicated install of @ssekit/core loads it.
    const secondInstance = './lazy-sse-stream.js?copy';
    const copy: typeof import('./lazy-sse-stream.js') = await import(secondInstance);
    class Response {}
    const first = new Response();
    const second = new Response();
    exposeAsSse(first, lazyOpening('first'));
    copy.exposeAsSse(second, lazyOpening('second'));
    expect((first as { sse?: unknown }).sse).toBe('first');
    expect((second as { sse?: unknown }).sse).toBe('second');
  });
});
