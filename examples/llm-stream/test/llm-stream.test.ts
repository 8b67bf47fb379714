import { heartbeatRegistry } from '@ssekit/core/adapter';
import { EventSource } from 'eventsource';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { type Server, serve } from 'srvx';
import { afterEach, expect, test, vi } from 'vitest';
import { createApp } from '../app.js';

let server: Server | undefined;
afterEach(async () => {
  await server?.close(true);
});

async function start(): Promise<string> {
  server = serve({
    fetch: createApp({ tokenDelayMs: 5 }).fetch,
    hostname: '127.0.0.1',
    port: 0,
    silent: true,
    gracefulShutdown: false,
  });
  await server.ready();
  return server.url as string;
}

test('streams the answer token by token, then a done event, then ends the response', async () => {
  const base = await start();
  const response = await fetch(`${base}generate?prompt=${encodeURIComponent('Why SSE?')}`);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);

  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const decoder = new TextDecoder();
  let chunks = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    chunks += 1;
    parser.feed(decoder.decode(chunk, { stream: true }));
  }

  const tokens = events.filter((event) => event.event === 'token').map((event) => event.data);
  const done = events.at(-1);
  expect(tokens.join('')).toMatch(/^You asked: “Why SSE\?”\. Server-Sent Events stream text/);
  expect(done).toEqual({
    event: 'done',
    id: 'done',
    data: JSON.stringify({ tokens: tokens.length }),
  });
  expect(chunks).toBeGreaterThan(1);
});

test('a client that does not close on done reconnects once, gets 204, and stops', async () => {
  const base = await start();
  const statuses: number[] = [];
  const source = new EventSource(`${base}generate?prompt=hi`, {
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      statuses.push(response.status);
      return response;
    },
  });
  let tokens = 0;
  let done = 0;
  source.addEventListener('token', () => {
    tokens += 1;
  });
  source.addEventListener('done', () => {
    done += 1;
  });
  await new Promise<void>((resolve) => {
    source.addEventListener('error', () => {
      if (source.readyState === source.CLOSED) resolve();
    });
  });

  expect(statuses).toEqual([200, 204]);
  expect(done).toBe(1);
  expect(tokens).toBeGreaterThan(10);
});

test('a client that leaves mid-answer stops the model and leaves no stream behind', async () => {
  const base = await start();
  const controller = new AbortController();
  const response = await fetch(`${base}generate?prompt=bye`, { signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  expect(heartbeatRegistry().streams).toBe(1);

  controller.abort();
  await vi.waitFor(() => expect(heartbeatRegistry().streams).toBe(0));
});

test('answers 400 without a prompt and 404 elsewhere', async () => {
  const base = await start();
  expect((await fetch(`${base}generate`)).status).toBe(400);
  expect((await fetch(`${base}nowhere`)).status).toBe(404);
});
