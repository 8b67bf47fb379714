import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { heartbeatRegistry } from '@ssekit/core/adapter';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterEach, expect, test, vi } from 'vitest';
import { createFeedApp } from '../app.js';
import { postcards } from '../postcards.js';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

async function start(): Promise<string> {
  server = serve({
    fetch: createFeedApp({ intervalMs: 5 }).fetch,
    hostname: '127.0.0.1',
    port: 0,
  }) as Server;
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Reads `count` postcards from one connection, then hangs up. */
async function readPostcards(url: string, count: number, lastEventId?: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = {};
  // HTTP carries header bytes; a browser sends a non-ASCII id as UTF-8. fetch only takes
  // byte strings, so hand it the UTF-8 bytes spelled as latin1 characters.
  if (lastEventId !== undefined)
    headers['last-event-id'] = Buffer.from(lastEventId).toString('latin1');
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (events.length >= count) break;
  }
  controller.abort();
  return events.slice(0, count).map((event) => ({ id: event.id, ...JSON.parse(event.data) }));
}

test('each connection walks the whole shared cache in its own order', async () => {
  const base = await start();
  const first = await readPostcards(`${base}/feed`, postcards.length);
  const second = await readPostcards(`${base}/feed`, postcards.length);

  for (const sequence of [first, second]) {
    expect(sequence.map((card) => card.position)).toEqual(postcards.map((_, index) => index));
    expect(new Set(sequence.map((card) => card.city))).toEqual(
      new Set(postcards.map((card) => card.city)),
    );
  }
  expect(first[0].seed).not.toBe(second[0].seed);
});

test('a reconnect with a non-ASCII Last-Event-ID continues the same sequence at the next position', async () => {
  const base = await start();
  const before = await readPostcards(`${base}/feed`, postcards.length + 3);
  const last = before[6];
  expect(last.id).toMatch(/[^ -~]/);

  const after = await readPostcards(`${base}/feed`, postcards.length - 4, last.id);

  expect(after[0].seed).toBe(last.seed);
  expect(after.map((card) => card.position)).toEqual(
    Array.from({ length: postcards.length - 4 }, (_, index) => last.position + 1 + index),
  );
  // Same seed, same order: the overlap with the first connection is identical.
  expect(after.slice(0, before.length - 7)).toEqual(before.slice(7));
});

test('an id that no longer matches the cache starts a fresh sequence', async () => {
  const base = await start();
  const [card] = await readPostcards(`${base}/feed`, 1);
  const stale = `${card.seed}:${card.position}:Atlantis`;

  const [fresh] = await readPostcards(`${base}/feed`, 1, stale);

  expect(fresh.position).toBe(0);
  expect(fresh.seed).not.toBe(card.seed);
});

test('a client that leaves stops its sequence: no stream or timer is left behind', async () => {
  const base = await start();
  await readPostcards(`${base}/feed`, 3);
  await readPostcards(`${base}/feed`, 3);

  await vi.waitFor(() => expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 }));
});
