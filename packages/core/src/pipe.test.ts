import { afterEach, describe, expect, it } from 'vitest';
import { heartbeatRegistry } from './heartbeat.js';
import { createSseStream, type SseStream } from './sse-stream.js';

const opened: SseStream[] = [];
function open(): SseStream {
  const stream = createSseStream({ heartbeat: false });
  opened.push(stream);
  return stream;
}

afterEach(() => {
  for (const stream of opened.splice(0)) stream.close();
  expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
});

async function readAll(stream: SseStream): Promise<string> {
  return new Response(stream.readable).text();
}

/** A source that records whether it was released. */
function tracked<T>(items: T[], failAt?: number) {
  const state = { released: false };
  async function* source() {
    try {
      for (const [index, item] of items.entries()) {
        if (index === failAt) throw new Error('the model failed');
        yield item;
      }
    } finally {
      state.released = true;
    }
  }
  return { state, source: source() };
}

describe('SseStream.pipe', () => {
  it('writes every item of a plain iterable of messages and resolves true', async () => {
    const stream = open();
    const text = readAll(stream);
    expect(await stream.pipe([{ data: 'a' }, { event: 'b', data: 'c' }])).toBe(true);
    stream.close();
    expect(await text).toBe('data: a\n\nevent: b\ndata: c\n\n');
  });

  it('maps items with toMessage', async () => {
    const stream = open();
    const text = readAll(stream);
    const { source } = tracked(['x', 'y']);
    expect(await stream.pipe(source, (token) => ({ event: 'token', data: token }))).toBe(true);
    stream.close();
    expect(await text).toBe('event: token\ndata: x\n\nevent: token\ndata: y\n\n');
  });

  it('resolves false and releases the source when the stream is already closed', async () => {
    const stream = open();
    stream.close();
    let returned = 0;
    const cursor: AsyncIterable<{ data: string }> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: { data: 'never' } }),
        return: async () => {
          returned += 1;
          return { done: true, value: undefined };
        },
      }),
    };
    expect(await stream.pipe(cursor)).toBe(false);
    expect(returned).toBe(1);
  });

  it('rejects with what the source throws and leaves the stream open to the caller', async () => {
    const stream = open();
    void stream.readable;
    const { source } = tracked([{ data: 'a' }, { data: 'b' }], 1);
    await expect(stream.pipe(source)).rejects.toThrow('the model failed');
    expect(stream.isClosed).toBe(false);
  });

  it('rejects with a coded TypeError for an invalid item, releasing the source', async () => {
    const stream = open();
    void stream.readable;
    const { state, source } = tracked([{ event: 'a\nb', data: 'x' }, { data: 'after' }]);
    await expect(stream.pipe(source)).rejects.toThrow(TypeError);
    expect(state.released).toBe(true);
    expect(stream.isClosed).toBe(false);
  });

  it('throws a TypeError at the call for a source that is not iterable or a bad toMessage', () => {
    const stream = open();
    expect(() => stream.pipe(42 as never)).toThrow(/async iterable or an iterable/);
    expect(() => stream.pipe([], 'map' as never)).toThrow(/"toMessage" must be a function/);
  });

  it('resolves false at once when the stream closes while the source waits for its next item', async () => {
    const stream = open();
    void stream.readable;
    let release!: () => void;
    const state = { released: false };
    async function* slowModel() {
      try {
        yield { data: 'first' };
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        yield { data: 'late' };
      } finally {
        state.released = true;
      }
    }
    const piped = stream.pipe(slowModel());
    await new Promise((resolve) => setTimeout(resolve, 5));
    stream.close();
    expect(await piped).toBe(false);
    // An async generator runs return() once the item it is producing arrives.
    release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(state.released).toBe(true);
  });
});
