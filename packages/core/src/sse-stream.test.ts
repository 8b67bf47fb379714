import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEvent } from './encoded-event.js';
import { heartbeatRegistry } from './heartbeat.js';
import { createSseStream, type SseStream } from './sse-stream.js';

const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets the event loop go round once: what was queued before is now a client's to have read. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function readText(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const { value, done } = await reader.read();
  return done ? '<done>' : decoder.decode(value);
}

const opened: SseStream[] = [];
function open(options: Parameters<typeof createSseStream>[0] = {}): SseStream {
  const stream = createSseStream(options);
  opened.push(stream);
  return stream;
}

afterEach(() => {
  for (const stream of opened.splice(0)) stream.close();
  expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
});

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

describe('SseStream backpressure', () => {
  it('send() returns false above highWaterMark; write() resolves true once the reader drains', async () => {
    const stream = open({ highWaterMark: 64, heartbeat: false });
    const reader = stream.readable.getReader();
    expect(stream.send({ data: 'a'.repeat(20) })).toBe(true);
    expect(stream.send({ data: 'b'.repeat(60) })).toBe(false);
    let resolved: boolean | undefined;
    const waiting = stream.write({ data: 'c' }).then((more) => {
      resolved = more;
    });
    await sleep(5);
    expect(resolved).toBeUndefined();
    await reader.read();
    await waiting;
    expect(resolved).toBe(true);
    expect(stream.bufferedBytes).toBeLessThan(64);
  });

  it('write() throws a TypeError synchronously for an invalid message, queuing nothing', () => {
    const stream = open({ heartbeat: false });
    expect(() => stream.write({ event: 'a\nb', data: 'x' })).toThrow(TypeError);
    expect(stream.bufferedBytes).toBe(0);
    expect(stream.isClosed).toBe(false);
  });

  it('judges a reader that never reads once a turn has passed (close policy)', async () => {
    const stream = open({ maxBufferedBytes: 1000, heartbeat: false });
    void stream.readable;
    // Queued in one turn: no client could have read any of it yet.
    for (let i = 0; i < 30; i++) stream.send({ data: 'y'.repeat(90) });
    expect(stream.isClosed).toBe(false);
    expect(stream.overflows).toBe(0);
    await nextTurn();
    stream.send({ data: 'y'.repeat(90) });
    await nextTurn();
    // The burst is given time; what came after it and stayed unread is debt.
    for (let i = 0; i < 20 && !stream.isClosed; i++) {
      stream.send({ data: 'z'.repeat(90) });
      await nextTurn();
    }
    expect(stream.isClosed).toBe(true);
    expect(stream.overflows).toBe(1);
    expect(stream.bufferedBytes).toBe(0);
  });

  it('never judges a reader on a burst it reads: many times maxBufferedBytes in one loop', async () => {
    const stream = open({ maxBufferedBytes: 1000, highWaterMark: 200, heartbeat: false });
    const reader = stream.readable.getReader();
    let expected = '';
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100; i++) {
        const data = `${round}:${i}`.padEnd(90, '.');
        stream.send({ data });
        expected += `data: ${data}\n\n`;
      }
      await nextTurn();
      // A few more while the burst is still being read, as a live publisher would.
      stream.send({ data: `late ${round}` });
      expected += `data: late ${round}\n\n`;
      let received = '';
      while (stream.bufferedBytes > 0) received += await readText(reader);
      expect(received).toBe(expected);
      expected = '';
    }
    expect(stream.overflows).toBe(0);
    expect(stream.isClosed).toBe(false);
  });

  it('never judges a reader on bursts in consecutive turns: it reads the second after the first', async () => {
    const stream = open({ heartbeat: false });
    const reader = stream.readable.getReader();
    const event = 'b'.repeat(64 * 1024);
    // 2 MiB in one turn, 2 MiB in the next: twice the default cap, queued one behind the other.
    for (let i = 0; i < 32; i++) stream.send({ data: event });
    await readText(reader);
    await nextTurn();
    for (let i = 0; i < 32; i++) stream.send({ data: event });
    await nextTurn();
    let live = 0;
    while (stream.bufferedBytes > 0) {
      await readText(reader);
      if (stream.bufferedBytes === 0) break;
      stream.send({ data: `live ${live++}` });
      await nextTurn();
    }
    expect(live).toBeGreaterThan(32);
    expect(stream.overflows).toBe(0);
    expect(stream.isClosed).toBe(false);
  });

  it('never judges a reader on a snapshot while it reads faster than live events arrive', async () => {
    const stream = open({ heartbeat: false });
    const reader = stream.readable.getReader();
    // A 4 MiB snapshot in one turn, then live events of a third of what the reader takes a turn.
    for (let i = 0; i < 64; i++) stream.send({ data: 's'.repeat(64 * 1024) });
    await nextTurn();
    const live = 'l'.repeat(20 * 1024);
    let turns = 0;
    while (stream.bufferedBytes > 0 && turns < 1000) {
      await readText(reader);
      if (stream.bufferedBytes === 0) break;
      stream.send({ data: live });
      await nextTurn();
      turns += 1;
    }
    // Reading all of the snapshot took 64 turns, during which more than the cap arrived live.
    expect(turns).toBeGreaterThan(64);
    expect(stream.bufferedBytes).toBe(0);
    expect(stream.overflows).toBe(0);
    expect(stream.isClosed).toBe(false);
  });

  it('judges a reader that stops once it has read its bursts: it owes what arrives after', async () => {
    const stream = open({ maxBufferedBytes: 256 * 1024, heartbeat: false });
    const reader = stream.readable.getReader();
    for (let i = 0; i < 16; i++) stream.send({ data: 's'.repeat(64 * 1024) });
    await nextTurn();
    for (let i = 0; i < 16; i++) stream.send({ data: 's'.repeat(64 * 1024) });
    await nextTurn();
    while (stream.bufferedBytes > 0) {
      await readText(reader);
      if (stream.bufferedBytes === 0) break;
      stream.send({ data: 'l'.repeat(16 * 1024) });
      await nextTurn();
    }
    expect(stream.isClosed).toBe(false);
    // The reader stops; 16 KiB a turn arrive. The cap is 16 events' worth.
    let sent = 0;
    while (!stream.isClosed && sent < 100) {
      stream.send({ data: 'l'.repeat(16 * 1024) });
      sent += 1;
      await nextTurn();
    }
    expect(stream.isClosed).toBe(true);
    expect(sent).toBeLessThanOrEqual(18);
  });

  it('drops events while a reader owes more than maxBufferedBytes, keeping the stream open', async () => {
    const stream = open({
      maxBufferedBytes: 300,
      highWaterMark: 100,
      onOverflow: 'drop',
      heartbeat: false,
    });
    const reader = stream.readable.getReader();
    for (let i = 0; i < 50; i++) {
      stream.send({ data: String(i).padStart(90, '.') });
      await nextTurn();
    }
    expect(stream.isClosed).toBe(false);
    // The first read took one event; of the rest, about the cap was kept and later ones dropped.
    expect(stream.overflows).toBeGreaterThan(40);
    expect(stream.bufferedBytes).toBeLessThanOrEqual(300 + 2 * 100);
    let kept = '';
    while (stream.bufferedBytes > 0) kept += await readText(reader);
    stream.send({ data: 'after' });
    expect(await readText(reader)).toBe('data: after\n\n');
    expect(kept.match(/\n\n/g)?.length).toBeLessThan(10);
  });

  it('accepts one event larger than maxBufferedBytes when nothing is buffered', async () => {
    const stream = open({ maxBufferedBytes: 100, heartbeat: false });
    const reader = stream.readable.getReader();
    expect(stream.send({ data: 'L'.repeat(500) })).toBe(false);
    expect(stream.isClosed).toBe(false);
    expect((await readText(reader)).length).toBe(508);
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
