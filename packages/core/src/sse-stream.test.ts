import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { closeOpened, nextTurn, open, readText } from '../../../test/support/sse-streams.js';
import { encodeEvent } from './encoded-event.js';
import { heartbeatRegistry } from './heartbeat.js';
import { createSseStream, type SseStream } from './sse-stream.js';

afterEach(closeOpened);

describe('SseStream output', () => {
  it('writes the retry hint first, then events', async () => {
    const stream = open({ retry: 3000, heartbeat: false });
    stream.send({ data: 'one' });
    const reader = stream.readable.getReader();
    expect(await readText(reader)).toBe('retry: 3000\n\ndata: one\n\n');
  });

  it('coalesces the writes made between two reads into one chunk', async () => {
    const stream = open({ heartbeat: false });
    const reader = stream.readable.getReader();
    stream.send({ data: 'a' });
    expect(await readText(reader)).toBe('data: a\n\n');
    stream.send({ data: 'b' });
    stream.send({ data: 'c' });
    stream.comment('d');
    expect(await readText(reader)).toBe('data: b\n\ndata: c\n\n: d\n\n');
  });

  it('sends the bytes of an EncodedEvent unchanged', async () => {
    const encoded = encodeEvent({ event: 'tick', id: '9', data: { t: 1 } });
    const stream = open({ heartbeat: false });
    stream.send(encoded);
    expect(await readText(stream.readable.getReader())).toBe(
      'event: tick\nid: 9\ndata: {"t":1}\n\n',
    );
  });

  it('sends the bytes of an EncodedEvent made by another copy of @ssekit/core', async () => {
    // A second instance of the module, as a CommonJS build or a duplicated install loads it.
    const secondInstance = './encoded-event.js?copy';
    const copy: typeof import('./encoded-event.js') = await import(secondInstance);
    const stream = open({ heartbeat: false });
    stream.send(copy.encodeEvent({ event: 'tick', id: '9', data: 1 }));
    expect(await readText(stream.readable.getReader())).toBe('event: tick\nid: 9\ndata: 1\n\n');
  });

  it('throws a TypeError for an invalid message and stays usable', async () => {
    const stream = open({ heartbeat: false });
    expect(() => stream.send({ event: 'a\nb', data: 1 })).toThrow(TypeError);
    expect(() => stream.send({ data: 1n })).toThrow(TypeError);
    expect(stream.bufferedBytes).toBe(0);
    stream.send({ data: 'still fine' });
    expect(await readText(stream.readable.getReader())).toBe('data: still fine\n\n');
  });

  it('delivers what was queued before close, then ends', async () => {
    const stream = open({ heartbeat: false });
    stream.send({ data: 'last' });
    stream.close();
    expect(await new Response(stream.readable).text()).toBe('data: last\n\n');
  });

  it('builds a Response with the event-stream headers and never Connection or Transfer-Encoding', () => {
    const response = open({ headers: { 'x-extra': '1' } }).toResponse({
      headers: { 'x-init': '2' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(response.headers.get('x-extra')).toBe('1');
    expect(response.headers.get('x-init')).toBe('2');
    expect(response.headers.has('connection')).toBe(false);
    expect(response.headers.has('transfer-encoding')).toBe(false);
  });

  it('refuses a second reader', () => {
    const stream = open();
    void stream.readable;
    expect(() => stream.readable).toThrow(/already has a reader/);
  });
});

describe('SseStream lifecycle: one cleanup, whatever the cause', () => {
  async function expectCleanedUp(stream: SseStream, signal?: AbortSignal) {
    await stream.closed;
    expect(stream.isClosed).toBe(true);
    expect(heartbeatRegistry().streams).toBe(0);
    if (signal) expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(stream.send({ data: 'late' })).toBe(false);
    expect(stream.comment()).toBe(false);
    expect(stream.bufferedBytes).toBe(0);
  }

  it('close()', async () => {
    const controller = new AbortController();
    const stream = open({ signal: controller.signal, heartbeat: 1000 });
    expect(heartbeatRegistry().streams).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    stream.close();
    stream.close();
    await expectCleanedUp(stream, controller.signal);
  });

  it('the signal aborting', async () => {
    const controller = new AbortController();
    const stream = open({ signal: controller.signal, heartbeat: 1000 });
    const reader = stream.readable.getReader();
    stream.send({ data: 'dropped' });
    controller.abort();
    await expectCleanedUp(stream, controller.signal);
    expect(await reader.read()).toEqual({ done: true, value: undefined });
  });

  it('an already aborted signal', async () => {
    const stream = open({ signal: AbortSignal.abort(), heartbeat: 1000 });
    await expectCleanedUp(stream);
  });

  it('the reader cancelling (the client went away)', async () => {
    const controller = new AbortController();
    const stream = open({ signal: controller.signal, heartbeat: 1000 });
    stream.send({ data: 'x' });
    await stream.readable.cancel();
    await expectCleanedUp(stream, controller.signal);
    controller.abort();
    stream.close();
  });

  it('the buffer overflowing under the close policy', async () => {
    const stream = open({ maxBufferedBytes: 100, highWaterMark: 50, heartbeat: 1000 });
    void stream.readable;
    const payload = 'x'.repeat(40);
    expect(stream.send({ data: payload })).toBe(true);
    for (let i = 0; i < 3; i++) expect(stream.send({ data: payload })).toBe(false);
    await nextTurn();
    // The first turn's bytes are a burst the client is given time for; these are not.
    for (let i = 0; i < 3; i++) expect(stream.send({ data: payload })).toBe(false);
    await nextTurn();
    expect(stream.isClosed).toBe(false);
    expect(stream.send({ data: payload })).toBe(false);
    expect(stream.overflows).toBe(1);
    await expectCleanedUp(stream);
  });

  it('never rejects or throws after close, even with writers waiting', async () => {
    const stream = open({ highWaterMark: 10, heartbeat: false });
    void stream.readable;
    const waiting = stream.write({ data: 'x'.repeat(20) });
    stream.close();
    await expect(waiting).resolves.toBe(false);
    await expect(stream.write({ data: 'after' })).resolves.toBe(false);
  });
});

describe('SseStream heartbeat', () => {
  it('writes a comment only when the stream was idle', async () => {
    const stream = open({ heartbeat: 40 });
    const reader = stream.readable.getReader();
    expect(await readText(reader)).toBe(':\n\n');
    const busy = setInterval(() => stream.send({ data: 'busy' }), 10);
    const received: string[] = [];
    const until = Date.now() + 150;
    while (Date.now() < until) received.push(await readText(reader));
    clearInterval(busy);
    expect(received.join('')).not.toContain(':\n\n');
  });

  it('runs one timer for many streams and none after they close', () => {
    const streams = Array.from({ length: 50 }, () => open({ heartbeat: 1234 }));
    expect(heartbeatRegistry()).toEqual({ streams: 50, timers: 1 });
    for (const stream of streams) stream.close();
    expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
  });
});

describe('SseStream options', () => {
  it.each([
    [{ heartbeat: 0 }, /"heartbeat" must be a positive whole number/],
    [{ highWaterMark: -1 }, /"highWaterMark"/],
    [{ maxBufferedBytes: 1.5 }, /"maxBufferedBytes"/],
    [{ onOverflow: 'wait' as never }, /"onOverflow" must be 'close' or 'drop'/],
    [{ retry: -5 }, /"retry"/],
    [{ headers: { connection: 'keep-alive' } }, /"connection" must not be set/],
    [{ headers: { 'Transfer-Encoding': 'chunked' } }, /"transfer-encoding" must not be set/],
  ])('rejects %o with a TypeError', (options, message) => {
    expect(() => createSseStream(options)).toThrow(message);
    expect(heartbeatRegistry().streams).toBe(0);
  });

  it('exposes lastEventId', () => {
    expect(open({ lastEventId: '41' }).lastEventId).toBe('41');
  });
});
