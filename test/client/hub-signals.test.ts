/**
 * The hub's own signals: the reset reaches the app as `onReset` (and moves the client to the new
 * position), a topic refused by `authorize` as `onDenied`, the cursor only moves the position.
 * None ever reaches an event handler or a `for await` loop. The client carries copies of the
 * signal names; the first test holds them equal to the core's.
 */
import { createClient } from '@ssekit/client';
import { CURSOR_EVENT, DENIED_EVENT, memoryHistory, RESET_EVENT } from '@ssekit/core';
import { expect, it, onTestFinished } from 'vitest';
import { until } from '../support/wait.js';
import { hubServer, type PriceEvents, TOPIC } from './support/servers.js';

const price = (n: number) => ({ event: 'price' as const, data: { symbol: 'A', n } });

it("carries the core's signal names (copies, to keep core code out of the browser build)", async () => {
  const copies = await import('../../packages/client/src/signals.js');
  expect([copies.RESET_EVENT, copies.CURSOR_EVENT, copies.DENIED_EVENT]).toEqual([
    RESET_EVENT,
    CURSOR_EVENT,
    DENIED_EVENT,
  ]);
});

it("reports a topic the hub's authorize refused through onDenied, and keeps it from the handlers", async () => {
  const server = await hubServer(undefined, {
    hub: { authorize: (topic) => topic !== 'secret' },
    topics: [TOPIC, 'secret'],
  });
  const denied: string[] = [];
  const errors: string[] = [];
  const names: string[] = [];
  const client = createClient<PriceEvents>(server.url, {
    onDenied: (topic) => denied.push(topic),
    onError: (error) => errors.push(error.code),
  });
  onTestFinished(() => client.close());
  const iterated = (async () => {
    for await (const event of client) names.push(event.event);
  })();
  await until(() => denied.length === 1, 'the denial');
  expect(denied).toEqual(['secret']);
  await server.hub.publish('secret', price(0));
  await server.hub.publish(TOPIC, price(1));
  await until(() => names.length === 1, 'the allowed topic');
  client.close();
  await iterated;
  expect(names).toEqual(['price']);
  expect(errors).toEqual([]);
  expect(server.requests).toHaveLength(1);
});

it('lets onDenied close a client refused every topic, before the hub closes it and it reconnects', async () => {
  const server = await hubServer(undefined, { hub: { authorize: () => false } });
  const denied: string[] = [];
  const client = createClient<PriceEvents>(server.url, {
    retryDelay: 10,
    onDenied: (topic) => {
      denied.push(topic);
      client.close();
    },
  });
  await until(() => client.state === 'closed', 'the client to close');
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(denied).toEqual([TOPIC]);
  expect(client.error).toBeUndefined();
  expect(server.requests).toHaveLength(1);
});

it('reports a reset through onReset, resumes from its cursor, and keeps it from the handlers', async () => {
  const server = await hubServer(undefined, { hub: { history: memoryHistory({ maxEvents: 2 }) } });
  const first = await server.hub.publish(TOPIC, price(1));
  for (let n = 2; n <= 4; n++) await server.hub.publish(TOPIC, price(n));
  const resets: string[] = [];
  const seen: Array<{ event: string; id: string | undefined }> = [];
  // The client resumes from an id the history no longer holds.
  const client = createClient<PriceEvents>(server.url, {
    lastEventId: first,
    onReset: (reason) => resets.push(reason),
    retryDelay: 10,
  });
  onTestFinished(() => client.close());
  const iterated = (async () => {
    for await (const event of client) seen.push({ event: event.event, id: event.id });
  })();
  await until(() => resets.length === 1, 'the reset');
  expect(resets).toEqual(['unknown-id']);
  expect(server.requests[0]?.lastEventId).toBe(first);
  const resetAt = client.lastEventId;
  expect(resetAt).not.toBe(first);
  const fifth = await server.hub.publish(TOPIC, price(5));
  await until(() => seen.length === 1, 'the event after the reset');
  client.close();
  await iterated;
  expect(seen).toEqual([{ event: 'price', id: fifth }]);
});

it('takes its position from the cursor, so a cut before any event still loses nothing', async () => {
  const server = await hubServer();
  await server.hub.publish(TOPIC, price(0));
  const client = createClient<PriceEvents>(server.url, { retryDelay: 10 });
  onTestFinished(() => client.close());
  const names: string[] = [];
  const seen: number[] = [];
  const iterated = (async () => {
    for await (const event of client) names.push(event.event);
  })();
  client.on('price', (p) => seen.push(p.n));
  await until(() => client.lastEventId !== undefined, 'the cursor');
  server.cut();
  // Published while the client is away: only the cursor's id can bring it back.
  await server.hub.publish(TOPIC, price(1));
  await until(() => seen.length === 1, 'the event published while away');
  expect(seen).toEqual([1]);
  expect(server.requests[1]?.lastEventId).toMatch(/^\d+-\d+$/);
  client.close();
  await iterated;
  expect(names).toEqual(['price']);
});
