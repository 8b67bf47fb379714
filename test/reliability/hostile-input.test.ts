/**
 * Hostile input: what a client puts in the request (Last-Event-ID header, lastEventId query
 * parameter) and what an application might pass to send() by mistake or from untrusted data.
 * Every case ends in a clear TypeError or a safe ignore; a bystander client on the same server
 * keeps receiving a clean stream throughout, and the server never crashes.
 */
import { encodeEvent, type SseStream } from '@ssekit/core';
import { readLastEventId } from '@ssekit/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Internal, so from the source: no entry exports the cap, the tests hold it.
import { MAX_LAST_EVENT_ID_LENGTH } from '../../packages/core/src/last-event-id.js';
import { openClient, rawRequest, type SseClient } from './support/clients.js';
import { recordFigures } from './support/figures.js';
import type { RunningServer } from './support/servers.js';
import { coreTargets, nodeBridge } from './support/targets.js';
import { until } from './support/wait.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const bytes = (text: string) => new TextEncoder().encode(text);

/** Header values as raw bytes: what an attacker can put on the wire. */
const hostileHeaders: Array<{ name: string; value: Uint8Array; expected: string | undefined }> = [
  { name: '64 KiB', value: bytes('a'.repeat(64 * KiB)), expected: undefined },
  {
    name: 'one over the cap',
    value: bytes('a'.repeat(MAX_LAST_EVENT_ID_LENGTH + 1)),
    expected: undefined,
  },
  {
    name: 'exactly the cap',
    value: bytes('a'.repeat(MAX_LAST_EVENT_ID_LENGTH)),
    expected: 'a'.repeat(MAX_LAST_EVENT_ID_LENGTH),
  },
  // Not valid UTF-8: kept as the latin1 characters received, never an exception.
  {
    name: 'invalid UTF-8',
    value: Uint8Array.of(0x61, 0xff, 0xfe, 0x80),
    expected: 'a\u00ff\u00fe\u0080',
  },
  { name: 'valid UTF-8', value: bytes('événement-7'), expected: 'événement-7' },
];

/** Header values Node's HTTP parser refuses with 400 before any application code runs. */
const refusedHeaders: Array<{ name: string; value: Uint8Array }> = [
  { name: 'bare CR', value: bytes('a\rb') },
  { name: 'bare LF', value: bytes('a\nb') },
  { name: 'NUL', value: bytes('a\0b') },
  { name: 'obs-fold CRLF', value: bytes('a\r\n b') },
];

const hostileQueries: Array<{ name: string; query: string; expected: string | undefined }> = [
  { name: '64 KiB', query: 'a'.repeat(64 * KiB), expected: undefined },
  { name: 'CR/LF', query: 'a%0D%0Adata:%20injected', expected: undefined },
  { name: 'LF', query: 'a%0Ab', expected: undefined },
  { name: 'NUL', query: 'a%00b', expected: undefined },
  { name: 'invalid UTF-8', query: 'a%FF%FE', expected: 'a\ufffd\ufffd' },
  {
    name: 'exactly the cap',
    query: 'b'.repeat(MAX_LAST_EVENT_ID_LENGTH),
    expected: 'b'.repeat(MAX_LAST_EVENT_ID_LENGTH),
  },
];

/** Messages whose fields try to break the framing: each must throw a TypeError naming the field. */
const injections: Array<{ name: string; message: unknown; field: RegExp }> = [
  { name: 'event with LF', message: { event: 'x\ndata: injected', data: 'a' }, field: /"event"/ },
  { name: 'event with CR', message: { event: 'x\rdata: injected', data: 'a' }, field: /"event"/ },
  {
    name: 'event with CRLF',
    message: { event: 'x\r\n\r\ndata: injected', data: 'a' },
    field: /"event"/,
  },
  { name: 'id with LF', message: { id: '1\nevent: admin', data: 'a' }, field: /"id"/ },
  { name: 'id with CR', message: { id: '1\rdata: injected', data: 'a' }, field: /"id"/ },
  { name: 'id with NUL', message: { id: '1\0', data: 'a' }, field: /"id"/ },
  {
    name: 'comment with LF',
    message: { comment: 'c\ndata: injected', data: 'a' },
    field: /"comment"/,
  },
  { name: 'retry as text', message: { retry: '1000\ndata: injected' }, field: /"retry"/ },
  { name: 'retry negative', message: { retry: -1 }, field: /"retry"/ },
  { name: 'retry fractional', message: { retry: 1.5 }, field: /"retry"/ },
  { name: 'retry NaN', message: { retry: Number.NaN }, field: /"retry"/ },
  {
    name: 'event not a string',
    message: { event: { toString: () => 'x\ny' }, data: 'a' },
    field: /"event"/,
  },
  { name: 'id not a string', message: { id: 42, data: 'a' }, field: /"id"/ },
  { name: 'message null', message: null, field: /message must be an object/ },
  { name: 'message a string', message: 'data: injected\n\n', field: /message must be an object/ },
];

const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = cyclic;

/** Payloads the default serializer cannot turn into text. */
const unserializable: Array<{ name: string; data: unknown }> = [
  { name: 'a cycle', data: cyclic },
  { name: 'a BigInt', data: { n: 10n } },
  {
    name: 'a throwing toJSON',
    data: {
      toJSON: () => {
        throw new Error('no');
      },
    },
  },
  { name: 'a function (serializes to undefined)', data: () => 1 },
  { name: 'a symbol (serializes to undefined)', data: Symbol('s') },
];

/** Data is the one multi-line field: line breaks become data lines, never new fields. */
const multiLineData = [
  'line1\n\nevent: injected\ndata: x',
  'a\r\nid: 99\r\n\r\nb',
  'a\rretry: 1\rb',
  '\n\n\n',
  ': not a comment\n:\n',
];

for (const target of coreTargets) {
  describe(`hostile input on ${target.name}`, () => {
    let server: RunningServer;
    let bystander: SseClient;
    const live = new Set<SseStream>();
    let bystanderStream: SseStream | undefined;
    let latest: SseStream | undefined;
    let ticks = 0;
    let caseErrors = 0;

    /** Sends one tick to the bystander stream; it must arrive intact after every hostile case. */
    const tick = async () => {
      ticks += 1;
      for (const stream of live)
        stream.send({ event: 'tick', id: String(ticks), data: String(ticks) });
      const id = String(ticks);
      await until(
        () => bystander.events.at(-1)?.id === id,
        () => `tick ${id} at the bystander`,
      );
    };

    /** Opens one more client on the live path and returns it with its server-side stream. */
    const openLive = async (name: string) => {
      const previous = latest;
      const client = openClient(`${server.url}/bystander-${name}`);
      await until(() => latest !== previous, `the ${name} stream`);
      return { client, stream: latest as SseStream };
    };

    beforeAll(async () => {
      server = await target.start(
        (stream, url) => {
          if (url.startsWith('/bystander')) {
            live.add(stream);
            latest = stream;
            bystanderStream ??= stream;
            stream.closed.then(() => live.delete(stream));
            return;
          }
          stream.send({ event: 'seen', data: { lastEventId: stream.lastEventId ?? null } });
          stream.close();
        },
        // Above Node's 16 KiB default so that a 64 KiB id reaches ssekit's own cap.
        { maxHeaderSize: 256 * KiB, stream: { heartbeat: false } },
      );
      bystander = openClient(`${server.url}/bystander`);
      await until(() => live.size === 1, 'the bystander stream');
    });

    afterAll(async () => {
      bystander.destroy();
      await server.close();
      recordFigures({
        scenario: 'Hostile input',
        target: target.name,
        clients: hostileHeaders.length + refusedHeaders.length + hostileQueries.length + 2,
        events: ticks,
        errors: caseErrors,
        note: `${hostileHeaders.length + refusedHeaders.length} header cases, ${hostileQueries.length} query cases, ${injections.length} injections, ${unserializable.length} unserializable payloads, 1 MiB events; bystander got ${bystander.events.filter((event) => event.event === 'tick').length}/${ticks} ticks in order, ${bystander.parseErrors.length} parse errors`,
      });
    });

    it.each(hostileHeaders)('Last-Event-ID header: $name', async ({ value, expected }) => {
      const response = await rawRequest(server.port, '/', value);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.events[0]?.data ?? 'null')).toEqual({
        lastEventId: expected ?? null,
      });
      await tick();
    });

    it.each(refusedHeaders)(
      'Last-Event-ID header with $name: refused by the HTTP parser',
      async ({ value }) => {
        const response = await rawRequest(server.port, '/', value);
        expect(response.status).toBe(400);
        expect(response.events).toEqual([]);
        await tick();
      },
    );

    it.each(hostileQueries)('lastEventId query parameter: $name', async ({ query, expected }) => {
      const client = openClient(`${server.url}/?lastEventId=${query}`);
      await client.ended;
      expect(await client.status).toBe(200);
      expect(JSON.parse(client.events[0]?.data ?? 'null')).toEqual({
        lastEventId: expected ?? null,
      });
      await tick();
    });

    it('a valid header wins over a hostile query parameter', async () => {
      const client = openClient(`${server.url}/?lastEventId=a%0Ab`, {
        headers: { 'last-event-id': '41' },
      });
      await client.ended;
      expect(JSON.parse(client.events[0]?.data ?? 'null')).toEqual({ lastEventId: '41' });
      await tick();
    });

    it.each(injections)('send() refuses an injection: $name', async ({ message, field }) => {
      const stream = bystanderStream as SseStream;
      const before = bystander.events.length;
      expect(() => stream.send(message as never)).toThrow(TypeError);
      expect(() => stream.send(message as never)).toThrow(field);
      expect(() => encodeEvent(message as never)).toThrow(field);
      expect(stream.isClosed).toBe(false);
      await tick();
      // Nothing from the refused message reached the wire: the next event is the tick.
      expect(bystander.events.slice(before)).toEqual([
        { event: 'tick', id: String(ticks), data: String(ticks) },
      ]);
    });

    it.each(unserializable)(
      'send() refuses data that cannot be serialized: $name',
      async ({ data }) => {
        const stream = bystanderStream as SseStream;
        expect(() => stream.send({ data })).toThrow(TypeError);
        expect(() => stream.send({ data })).toThrow(/serializ/);
        expect(stream.isClosed).toBe(false);
        await tick();
      },
    );

    it.each(multiLineData)('data with line breaks stays inside one event: %j', async (data) => {
      const stream = bystanderStream as SseStream;
      const before = bystander.events.length;
      stream.send({ event: 'multi', data });
      await tick();
      expect(bystander.events.slice(before)).toEqual([
        { event: 'multi', data: data.replace(/\r\n|\r/g, '\n') },
        { event: 'tick', id: String(ticks), data: String(ticks) },
      ]);
    });

    it('1 MiB events arrive whole, one after another, when the sender awaits write()', async () => {
      const { client, stream } = await openLive('big');
      const oneLine = 'x'.repeat(MiB);
      const manyLines = `${'y'.repeat(1023)}\n`.repeat(KiB);
      // Each is above highWaterMark: write() queues it and waits for the client to read.
      expect(await stream.write({ event: 'big', data: oneLine })).toBe(true);
      expect(await stream.write({ event: 'big', data: manyLines })).toBe(true);
      expect(await stream.write({ event: 'big', data: oneLine })).toBe(true);
      stream.close();
      await client.ended;
      expect(client.events.map((event) => event.data.length)).toEqual([MiB, manyLines.length, MiB]);
      expect(client.events[0]?.data).toBe(oneLine);
      expect(client.events[1]?.data).toBe(manyLines);
      expect(client.parseErrors).toEqual([]);
      await tick();
    });

    // Only the node bridge holds written bytes in view (res.writableLength); on the fetch path
    // the reader has taken them, and the slow-client scenario covers that path's memory.
    if (target === nodeBridge)
      it('an event sent while 1 MiB is still in flight to a reader is not judged on it; both arrive whole', async () => {
        const { client, stream } = await openLive('overflow');
        const oneLine = 'z'.repeat(MiB);
        stream.send({ event: 'big', data: oneLine });
        // The buffer holds maxBufferedBytes (1 MiB) already, all of it queued in this turn: the
        // client has not had a chance to read any of it, so it owes nothing yet.
        stream.send({ event: 'small', data: 'next' });
        expect(stream.overflows).toBe(0);
        expect(stream.isClosed).toBe(false);
        await client.waitForEvents(2);
        expect(client.events.map((event) => event.data)).toEqual([oneLine, 'next']);
        stream.close();
        await client.ended;
        await tick();
      });

    it('a stream closed by the server answers send(), comment() and write() without throwing', async () => {
      const { client, stream: closedStream } = await openLive('2');
      closedStream.send({ data: 'before close' });
      closedStream.close();
      closedStream.close();
      expect(closedStream.send({ data: 'after close' })).toBe(false);
      expect(closedStream.send(encodeEvent({ data: 'after close' }))).toBe(false);
      expect(closedStream.comment('after close')).toBe(false);
      expect(await closedStream.write({ data: 'after close' })).toBe(false);
      await closedStream.closed;
      await client.ended;
      expect(client.events.map((event) => event.data)).toEqual(['before close']);
      await tick();
    });

    it('a stream whose client left answers send() with false', async () => {
      const { client, stream } = await openLive('3');
      client.destroy();
      await stream.closed;
      expect(stream.isClosed).toBe(true);
      expect(stream.send({ data: 'to nobody' })).toBe(false);
      await tick();
    });

    it('the bystander saw a clean stream: every tick, in order, no parse error', async () => {
      await tick();
      const tickEvents = bystander.events.filter((event) => event.event === 'tick');
      expect(tickEvents.map((event) => Number(event.data))).toEqual(
        Array.from({ length: ticks }, (_, i) => i + 1),
      );
      expect(bystander.parseErrors).toEqual([]);
      expect(bystander.isEnded()).toBe(false);
      caseErrors = bystander.parseErrors.length;
    });
  });
}

describe('readLastEventId on values a lenient HTTP stack could pass through', () => {
  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CRLF', '1\r\nevent: admin'],
    ['NUL', 'a\0b'],
    ['64 KiB', 'c'.repeat(64 * KiB)],
    ['empty', ''],
  ])('ignores a header with %s', (_, value) => {
    expect(readLastEventId(value)).toBeUndefined();
    expect(readLastEventId(value, 'http://x/?lastEventId=9')).toBe('9');
  });

  it('the fetch Headers class itself refuses CR, LF and NUL inside a value', () => {
    for (const value of ['a\rb', 'a\nb', 'a\0b']) {
      expect(
        () => new Request('http://127.0.0.1/', { headers: { 'last-event-id': value } }),
      ).toThrow(TypeError);
    }
  });
});

describe('a 64 KiB Last-Event-ID against a server with Node defaults', () => {
  it('is answered 431 by Node before any stream opens, and the server keeps serving', async () => {
    let opened = 0;
    const server = await nodeBridge.start(
      (stream) => {
        opened += 1;
        stream.send({ data: 'ok' });
        stream.close();
      },
      { stream: { heartbeat: false } },
    );
    try {
      const refused = await rawRequest(
        server.port,
        '/',
        new TextEncoder().encode('a'.repeat(64 * 1024)),
      );
      expect(refused.status).toBe(431);
      expect(opened).toBe(0);
      const client = openClient(server.url);
      await client.ended;
      expect(client.events.map((event) => event.data)).toEqual(['ok']);
      expect(opened).toBe(1);
    } finally {
      await server.close();
    }
  });
});
