/**
 * Bad input, from the app and from the server: a TypeError naming the field for the app's
 * mistakes; for the server's, a typed error and a documented outcome (a skipped event, or a
 * close), never a hang and never a buffer that grows without bound. A callback of the app that
 * throws is reported and changes nothing else.
 */
import { createClient, type SseClientError } from '@ssekit/client';
import { pauseWhenHidden, shareAcrossTabs } from '@ssekit/client/tabs';
import { RESET_EVENT } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sleep, until } from '../support/wait.js';
import { plainServer } from './support/servers.js';

describe('what the app passes', () => {
  it.each([
    ['not a url at all', /"url" must be an http\(s\) URL/],
    ['ftp://example.com/events', /"url" must be an http\(s\) URL/],
    [42, /"url" must be an http\(s\) URL/],
  ])('a malformed URL (%s) is a TypeError naming url', (url, message) => {
    expect(() => createClient(url as string)).toThrow(TypeError);
    expect(() => createClient(url as string)).toThrow(message);
  });

  it('an unknown option key is a TypeError naming the key and the known ones', () => {
    const misspelled = { retyDelay: 10 } as unknown as Parameters<typeof createClient>[1];
    expect(() => createClient('http://127.0.0.1:9/', misspelled)).toThrow(
      /createClient "retyDelay" is not an option \(known: .*retryDelay/,
    );
    expect(() => createClient('http://127.0.0.1:9/', misspelled)).toThrow(
      expect.objectContaining({ code: 'ERR_SSE_UNKNOWN_OPTION' }),
    );
  });

  it.each([
    ['retryDelay', -1],
    ['maxEventSize', 1.5],
    ['heartbeat', true],
    ['onError', 'log'],
    ['resume', 'local'],
    ['connection', 'tabs'],
    ['lastEventId', 42],
    ['lastEventId', 'a\nb'],
    ['headers', { 'x-token': 'a\r\nb' }],
  ])('an invalid %s is a TypeError naming it, with code ERR_SSE_INVALID_OPTION', (key, value) => {
    const options = { [key]: value } as Parameters<typeof createClient>[1];
    let thrown: unknown;
    try {
      createClient('http://127.0.0.1:9/', options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(thrown).toMatchObject({ code: 'ERR_SSE_INVALID_OPTION' });
    expect((thrown as Error).message).toContain(`"${key}"`);
  });

  it.each(['constructor', 'toString', 'hasOwnProperty'])(
    'a key of Object.prototype (%s) is refused as an unknown option',
    (key) => {
      const options = { [key]: 1 } as Parameters<typeof createClient>[1];
      expect(() => createClient('http://127.0.0.1:9/', options)).toThrow(
        expect.objectContaining({
          code: 'ERR_SSE_UNKNOWN_OPTION',
          message: expect.stringContaining(`createClient "${key}" is not an option`),
        }),
      );
    },
  );

  it.each([
    ['a line break in a header value', { headers: { 'x-token': 'abc\r\ndef' } }, 'headers'],
    ['a line break in lastEventId', { lastEventId: 'a\nb' }, 'lastEventId'],
  ])(
    '%s is a TypeError at creation, not a connect that fails for ever',
    async (_, options, key) => {
      const server = await plainServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end();
      });
      let thrown: unknown;
      try {
        createClient(server.url, { ...options, retryDelay: 1 }).close();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toMatch(
        new RegExp(
          `createClient "${key}" is refused by fetch, got TypeError: .*invalid header value`,
          's',
        ),
      );
      await sleep(100);
      expect(server.requests).toHaveLength(0);
    },
  );

  it.each([
    ['a method fetch refuses', { method: 'GE T' }],
    ['a credentials mode fetch does not know', { credentials: 'always' }],
    ['a body with GET', { body: 'q=1' }],
  ])('%s is a TypeError at creation, not a request retried in silence', (_, options) => {
    let thrown: unknown;
    try {
      createClient('http://127.0.0.1:9/', options as Parameters<typeof createClient>[1]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(thrown).toMatchObject({ code: 'ERR_SSE_INVALID_OPTION' });
    expect((thrown as Error).message).toMatch(/createClient "request" is refused by fetch, got/);
    // One period at the end, though fetch's own message ends with one.
    expect((thrown as Error).message).toMatch(/[^.]\.$/);
  });

  it('with its own fetch, the app decides what a request may be (a GET with a body here)', async () => {
    const bodies: unknown[] = [];
    const ownFetch = ((_url: string, init: RequestInit) => {
      bodies.push(init.body);
      return Promise.resolve(new Response(null, { status: 204 }));
    }) as typeof fetch;
    const client = createClient('http://127.0.0.1:9/', { body: 'q=1', fetch: ownFetch });
    onTestFinished(() => client.close());
    await until(() => client.state === 'closed', 'the 204 to close the client');
    expect(bodies).toEqual(['q=1']);
  });

  it('the connection helpers check their argument: a TypeError naming it', () => {
    expect(() => shareAcrossTabs('')).toThrow(/shareAcrossTabs "channel" must be a non-empty/);
    expect(() => shareAcrossTabs(7 as unknown as string)).toThrow(TypeError);
    expect(() => pauseWhenHidden(0)).toThrow(/pauseWhenHidden "ms" must be a positive whole/);
    expect(() => pauseWhenHidden(Number.NaN)).toThrow(TypeError);
  });

  it('client.on with an empty or non-string event name is a TypeError', () => {
    const client = createClient('http://127.0.0.1:9/');
    onTestFinished(() => client.close());
    expect(() => client.on('' as never, () => {})).toThrow(/needs an event name/);
    expect(() => client.on(7 as never, () => {})).toThrow(TypeError);
  });
});

describe("what the app's callbacks throw", () => {
  it('a handler that throws is reported with ERR_SSE_HANDLER; the other handlers and the stream go on', async () => {
    const server = await plainServer((req, res) => {
      const stream = openSseStream(req, res);
      stream.send({ event: 'n', data: 1, id: 'a' });
      stream.send({ event: 'n', data: 2, id: 'b' });
    });
    const errors: SseClientError[] = [];
    const client = createClient<{ n: number }>(server.url, { onError: (e) => errors.push(e) });
    onTestFinished(() => client.close());
    const seen: number[] = [];
    client.on('n', () => {
      throw new Error('boom');
    });
    client.on('n', (n) => seen.push(n));
    await until(() => seen.length === 2, 'both events, in the second handler');
    expect(errors.map((error) => error.code)).toEqual(['ERR_SSE_HANDLER', 'ERR_SSE_HANDLER']);
    expect(errors[0]?.cause).toMatchObject({ message: 'boom' });
    expect(client.state).toBe('open');
    expect(client.lastEventId).toBe('b');
  });

  it('an onReset that throws is reported with ERR_SSE_HANDLER, and the stream goes on', async () => {
    const server = await plainServer((req, res) => {
      const stream = openSseStream(req, res);
      stream.send({ event: RESET_EVENT, data: 'unknown-id', id: 'r' });
      stream.send({ event: 'n', data: 1, id: 'a' });
    });
    const errors: SseClientError[] = [];
    const client = createClient<{ n: number }>(server.url, {
      onError: (e) => errors.push(e),
      onReset: () => {
        throw new Error('refetch failed');
      },
    });
    onTestFinished(() => client.close());
    const seen: number[] = [];
    client.on('n', (n) => seen.push(n));
    await until(() => seen.length === 1, 'the event after the reset');
    expect(errors.map((error) => error.code)).toEqual(['ERR_SSE_HANDLER']);
    expect(client.state).toBe('open');
  });
});

describe('what the server sends', () => {
  it('skips an event whose data is not JSON with ERR_SSE_DECODE, and goes on', async () => {
    const server = await plainServer((req, res) => {
      const stream = openSseStream(req, res);
      stream.send({ event: 'n', data: '{not json', id: 'a' });
      stream.send({ event: 'n', data: '2', id: 'b' });
    });
    const errors: SseClientError[] = [];
    const client = createClient<{ n: number }>(server.url, { onError: (e) => errors.push(e) });
    onTestFinished(() => client.close());
    const seen: number[] = [];
    client.on('n', (n) => seen.push(n));
    await until(() => seen.length === 1, 'the valid event');
    expect(seen).toEqual([2]);
    expect(errors.map((error) => error.code)).toEqual(['ERR_SSE_DECODE']);
    expect(errors[0]?.message).toContain('"n" event a not decoded');
    expect(client.state).toBe('open');
    expect(client.lastEventId).toBe('b');
  });

  it('passes text through when decode says so, per event name', async () => {
    const server = await plainServer((req, res) => {
      const stream = openSseStream(req, res);
      stream.send({ event: 'text', data: 'plain words' });
      stream.send({ event: 'json', data: '{"a":1}' });
    });
    const client = createClient<{ text: string; json: { a: number } }>(server.url, {
      decode: (data, event) => (event === 'text' ? data : JSON.parse(data)),
    });
    onTestFinished(() => client.close());
    const seen: unknown[] = [];
    client.on('text', (text) => seen.push(text));
    client.on('json', (json) => seen.push(json.a));
    await until(() => seen.length === 2, 'both events');
    expect(seen).toEqual(['plain words', 1]);
  });

  it('events no handler listens to are skipped, not decoded, and still move the id', async () => {
    const server = await plainServer((req, res) => {
      const stream = openSseStream(req, res);
      stream.send({ event: 'unknown-name', data: '{not json either', id: 'x1' });
      stream.send({ event: 'known', data: '1', id: 'x2' });
    });
    const errors: SseClientError[] = [];
    const client = createClient<{ known: number }>(server.url, { onError: (e) => errors.push(e) });
    onTestFinished(() => client.close());
    const seen: number[] = [];
    client.on('known', (n) => seen.push(n));
    await until(() => seen.length === 1, 'the known event');
    expect(errors).toEqual([]);
    expect(client.lastEventId).toBe('x2');
  });

  it('closes with ERR_SSE_EVENT_TOO_LARGE on a server that streams without a newline', async () => {
    let written = 0;
    const server = await plainServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: ');
      // Endless: 64 KiB chunks, never a newline, until the client goes away.
      const chunk = 'x'.repeat(65_536);
      const pump = () => {
        while (!res.destroyed && written < 64 * 1024 * 1024 && res.write(chunk))
          written += chunk.length;
        if (!res.destroyed && written < 64 * 1024 * 1024) res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    const errors: SseClientError[] = [];
    const client = createClient(server.url, {
      maxEventSize: 1_000_000,
      retryDelay: 1,
      onError: (e) => errors.push(e),
    });
    onTestFinished(() => client.close());
    await until(() => client.state === 'closed', 'the client to close');
    expect(errors.map((error) => error.code)).toEqual(['ERR_SSE_EVENT_TOO_LARGE']);
    await sleep(50);
    // The client stopped reading soon after the cap, far short of what the server would send.
    expect(written).toBeLessThan(16 * 1024 * 1024);
    expect(server.requests).toHaveLength(1);
  });

  it('closes on an event whose data lines add up past maxEventSize', async () => {
    const server = await plainServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 100; i++) res.write(`data: ${'y'.repeat(1000)}\n`);
    });
    const client = createClient(server.url, { maxEventSize: 50_000 });
    onTestFinished(() => client.close());
    await until(() => client.state === 'closed', 'the client to close');
    expect(client.error?.code).toBe('ERR_SSE_EVENT_TOO_LARGE');
  });
});
