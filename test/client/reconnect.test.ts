/**
 * Reconnecting: after every connection is cut mid-stream, the client comes back with its
 * `Last-Event-ID` and the hub replays the gap: every event exactly once, in order, on every
 * ssekit server entry. The server's `retry:` sets the delay; the backoff never exceeds its cap.
 */
import { createClient } from '@ssekit/client';
import { createSseResponse } from '@ssekit/core';
import { toNodeHandler } from 'srvx/node';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { sleep, until } from '../support/wait.js';
import { ADAPTERS, hubServer, type PriceEvents, plainServer, TOPIC } from './support/servers.js';

describe.each(Object.keys(ADAPTERS))('%s', (name) => {
  it('resumes with Last-Event-ID after the connection is cut: no loss, no duplicate', async () => {
    const server = await hubServer(ADAPTERS[name]);
    const client = createClient<PriceEvents>(server.url, { retryDelay: 20 });
    onTestFinished(() => client.close());
    const seen: number[] = [];
    client.on('price', (price) => seen.push(price.n));
    await until(() => client.state === 'open', 'the client to open');
    // Publish while the client is connected, cut, publish while it is away, then once more.
    for (let n = 1; n <= 5; n++)
      await server.hub.publish(TOPIC, { event: 'price', data: { symbol: 'A', n } });
    await until(
      () => seen.length === 5,
      () => `5 events, got ${seen}`,
    );
    server.cut();
    for (let n = 6; n <= 10; n++)
      await server.hub.publish(TOPIC, { event: 'price', data: { symbol: 'A', n } });
    await until(
      () => seen.length >= 10,
      () => `10 events, got ${seen}`,
    );
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
    const resumed = server.requests.at(-1)?.lastEventId;
    expect(resumed).toMatch(/^\d+-\d+$/);
    expect(client.lastEventId).not.toBe(resumed);
  });
});

it('sends a non-ASCII id back as the server wrote it (UTF-8, as EventSource does)', async () => {
  const ID = 'zürich→7';
  const resumedWith: Array<string | undefined> = [];
  const server = await plainServer(
    toNodeHandler((request: Request) =>
      createSseResponse(request, (stream) => {
        resumedWith.push(stream.lastEventId);
        stream.send({ id: ID, data: 'hi' });
        stream.close();
      }),
    ) as never,
  );
  const client = createClient(server.url, { retryDelay: 10, decode: (data) => data });
  onTestFinished(() => client.close());
  await until(
    () => resumedWith.length >= 2,
    () => `a reconnect, got ${resumedWith.length} connections`,
  );
  expect(resumedWith.slice(0, 2)).toEqual([undefined, ID]);
});

it('moves its position on an id in a block without data, as the HTML standard says', async () => {
  const resumedWith: Array<string | undefined> = [];
  const server = await plainServer((req, res) => {
    resumedWith.push(req.headers['last-event-id'] as string | undefined);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // An event with id a, then id b alone (no data: no event), then the stream ends.
    res.end(resumedWith.length === 1 ? 'id: a\ndata: "x"\n\nid: b\n\n' : '');
  });
  const client = createClient(server.url, { retryDelay: 10 });
  onTestFinished(() => client.close());
  const seen: unknown[] = [];
  client.on('message', (data) => seen.push(data));
  await until(
    () => resumedWith.length >= 2,
    () => `a reconnect, got ${resumedWith.length} connections`,
  );
  expect(seen).toEqual(['x']);
  expect(resumedWith.slice(0, 2)).toEqual([undefined, 'b']);
  expect(client.lastEventId).toBe('b');
});

it('keeps the position of the event whose handler closed it, not of the ones after it', async () => {
  const server = await plainServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // Three events in one chunk: the parser reads all three while the first is handled.
    res.end('id: 1\ndata: "a"\n\nid: 2\ndata: "b"\n\nid: 3\ndata: "c"\n\n');
  });
  const client = createClient(server.url, { retryDelay: 10 });
  onTestFinished(() => client.close());
  const seen: unknown[] = [];
  client.on('message', (data) => {
    seen.push(data);
    client.close();
  });
  await until(() => client.state === 'closed', 'the handler to close the client');
  await sleep(50);
  expect(seen).toEqual(['a']);
  expect(client.lastEventId).toBe('1');
});

it("saves each id once under resume: 'session'", async () => {
  const saved: string[] = [];
  const storage = {
    getItem: () => null,
    setItem: (_key: string, value: string) => void saved.push(value),
  };
  vi.stubGlobal('sessionStorage', storage);
  onTestFinished(() => void vi.unstubAllGlobals());
  const server = await plainServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('id: 1\ndata: "a"\n\nid: 2\ndata: "b"\n\nid: 3\n\n');
  });
  const client = createClient(server.url, { resume: 'session' });
  onTestFinished(() => client.close());
  await until(() => client.lastEventId === '3', 'the id without data');
  expect(saved).toEqual(['1', '2', '3']);
});

describe('reconnect timing', () => {
  it("waits what the server's retry: field says, not the client's own base delay", async () => {
    let connections = 0;
    const server = await plainServer(
      toNodeHandler((request: Request) =>
        createSseResponse(request, (stream) => {
          connections += 1;
          stream.send({ retry: 10, data: 'hi' });
          stream.close();
        }),
      ) as never,
    );
    // A base of one minute: only the server's 10 ms can bring three connections within the wait.
    const client = createClient(server.url, { retryDelay: 60_000, decode: (data) => data });
    onTestFinished(() => client.close());
    await until(
      () => connections >= 3,
      () => `3 connections, got ${connections}`,
      5_000,
    );
  });

  it.each([
    ['answers 200 and closes at once', ''],
    ['sends retry: 0 and closes (a base of 0 ms)', 'retry: 0\n\n'],
    ['writes a comment and closes at once', ': hello\n\n'],
  ])('backs off from a server that %s: opening without an event is a failure', async (_, body) => {
    const server = await plainServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(body);
    });
    const client = createClient(server.url, { retryDelay: 20 });
    onTestFinished(() => client.close());
    // With the backoff reset at every open, a wait stays below 20 ms (or 0 ms) for ever: about a
    // hundred requests (a thousand at 0 ms) in 1.5 s. Doubling from there, the waits' bounds pass
    // 1.5 s within seven failures (eleven at 0 ms).
    await sleep(1_500);
    expect(server.requests.length).toBeGreaterThan(2);
    expect(server.requests.length).toBeLessThan(30);
  });

  it('starts the backoff over after a connection open past retryDelay with only heartbeats: a quiet stream the server rotates', async () => {
    const server = await plainServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).write('retry: 20\n\n');
      // Well past retryDelay (20 ms), so that a client slowed down by a busy machine still sees
      // each connection open that long.
      setTimeout(() => res.end(': hb\n\n'), 200);
    });
    // Every wait at its bound (random 0.999): 20 ms after each rotation, where growing waits
    // would double from there (20, 40, 80, ...). The waits are read from the timers set, not
    // timed: under load a wait lasts longer than it was set for.
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const waits: number[] = [];
    const setTimer = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      // The backoff's waits, random fractions of a millisecond count; the other timers of the
      // process (the watchdog's, the test's own polls, the HTTP agent's) are whole numbers.
      if (ms !== undefined && !Number.isInteger(ms)) waits.push(ms);
      return setTimer(callback, ms);
    }) as typeof setTimeout);
    onTestFinished(() => {
      vi.restoreAllMocks();
    });
    const client = createClient(server.url, { retryDelay: 20 });
    onTestFinished(() => client.close());
    await until(
      () => server.requests.length >= 8,
      () => `8 connections, got ${server.requests.length}`,
      10_000,
    );
    expect(waits.length).toBeGreaterThanOrEqual(7);
    expect(Math.max(...waits)).toBeLessThan(21);
  });

  it('never waits longer than maxRetryDelay, however many failures', async () => {
    const server = await plainServer((_req, res) => {
      res.writeHead(503).end();
    });
    const client = createClient(server.url, { retryDelay: 1, maxRetryDelay: 50 });
    onTestFinished(() => client.close());
    // 2^20 ms after twenty failures without the cap; with it, at most 50 ms a wait.
    await until(
      () => server.requests.length >= 25,
      () => `25 requests, got ${server.requests.length}`,
      5_000,
    );
    expect(client.state).not.toBe('closed');
  });
});

it('backs off past setTimeout’s limit as at it: a huge retry and cap do not reconnect at once', async () => {
  const server = await plainServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('retry: 4000000000\n\n');
  });
  const clients = Array.from({ length: 10 }, () =>
    createClient(server.url, { maxRetryDelay: 2 ** 33 }),
  );
  onTestFinished(() => {
    for (const client of clients) client.close();
  });
  await until(() => server.requests.length >= 10, 'every first request');
  await sleep(300);
  // A delay drawn up to 2^31 - 1 ms: the chance that one of ten falls under 300 ms is 1e-6.
  expect(server.requests).toHaveLength(10);
});

it('sends an id of 200,000 characters back, and stops on the server’s refusal instead of looping', async () => {
  const id = 'x'.repeat(200_000);
  const server = await plainServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`id: ${id}\ndata: "a"\n\n`);
  });
  const client = createClient(server.url, { retryDelay: 10 });
  onTestFinished(() => client.close());
  await until(() => client.state === 'closed', 'the client to stop');
  // Node refuses a request head of 200 KB with 431, an answer retrying cannot change.
  expect(client.error).toMatchObject({ code: 'ERR_SSE_HTTP_STATUS', status: 431 });
  expect(client.lastEventId).toBe(id);
});
