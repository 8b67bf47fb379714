/**
 * The watchdog: a connection on which nothing arrives, not even the heartbeat comment, for
 * `missedHeartbeats` heartbeat intervals is taken for dead and replaced, and the new connection
 * resumes from the last id. Heartbeats alone keep a quiet connection alive.
 */
import { createClient } from '@ssekit/client';
import { openSseStream } from '@ssekit/core/node';
import { expect, it, onTestFinished } from 'vitest';
import { sleep, until } from '../support/wait.js';
import { freezingProxy } from './support/freezing-proxy.js';
import { startHubProcess } from './support/hub-process.js';
import { hubServer, type PriceEvents, plainServer, TOPIC } from './support/servers.js';

const price = (n: number) => ({ event: 'price' as const, data: { symbol: 'A', n } });

it('replaces a connection that went silent behind a proxy, and loses nothing', async () => {
  const server = await hubServer(undefined, { stream: { heartbeat: 50 } });
  const proxy = await freezingProxy(server.url);
  const client = createClient<PriceEvents>(proxy.url, {
    heartbeat: 100,
    missedHeartbeats: 2,
    retryDelay: 10,
  });
  onTestFinished(() => client.close());
  const seen: number[] = [];
  client.on('price', (p) => seen.push(p.n));
  await until(() => client.state === 'open', 'the client to open');
  const first = await server.hub.publish(TOPIC, price(1));
  await until(() => seen.length === 1, 'the first event');
  const before = proxy.connections();
  proxy.freeze();
  // Published while the old connection is silent: it never reaches the client that way.
  await server.hub.publish(TOPIC, price(2));
  await until(() => seen.length === 2, 'the event, through a new connection', 5_000);
  expect(seen).toEqual([1, 2]);
  expect(proxy.connections()).toBeGreaterThan(before);
  expect(server.requests.at(-1)?.lastEventId).toBe(first);
});

it('gives up on a headers function that never settles, and connects with the next one', async () => {
  const server = await plainServer((req, res) => {
    openSseStream(req, res);
  });
  let calls = 0;
  const client = createClient(server.url, {
    heartbeat: 100,
    missedHeartbeats: 2,
    retryDelay: 10,
    headers: () => (++calls === 1 ? new Promise<HeadersInit>(() => {}) : { authorization: 'b' }),
  });
  onTestFinished(() => client.close());
  await until(() => server.requests.length === 1, 'a request after the first call hung');
  expect(calls).toBe(2);
  expect(server.requests[0]?.authorization).toBe('b');
});

it('keeps a quiet connection that the server heartbeats', async () => {
  const server = await plainServer((req, res) => {
    openSseStream(req, res, { heartbeat: 50 });
  });
  // A 2 s limit of silence: the server and the client share this process, and a stall of the
  // process longer than the limit would fire the client's timer before it reads the comments.
  const client = createClient(server.url, { heartbeat: 200, missedHeartbeats: 10 });
  onTestFinished(() => client.close());
  await until(() => client.state === 'open', 'the client to open');
  // Well past the limit, with no event at all: only comments arrive.
  await sleep(3_500);
  expect(client.state).toBe('open');
  expect(server.requests).toHaveLength(1);
});

it('reconnects to a server process that was stopped (SIGSTOP), once it runs again', async () => {
  const { url, stop, resume } = await startHubProcess();
  const states: string[] = [];
  // 500 ms of silence: a shorter limit fired on stalls of this process, which the client shares
  // with the rest of the file, and this hub keeps no history to resume from.
  const client = createClient<PriceEvents>(url, {
    heartbeat: 100,
    missedHeartbeats: 5,
    retryDelay: 10,
  });
  onTestFinished(() => client.close());
  client.subscribe(() => states.push(client.state));
  const seen: number[] = [];
  client.on('price', (p) => seen.push(p.n));
  await until(() => seen.length >= 1, 'the first event of the child');
  stop();
  await until(() => states.includes('retrying'), 'the watchdog to give the connection up', 5_000);
  resume();
  // The child publishes one event every 50 ms; after the resume none is missing.
  await until(
    () => seen.length >= 30,
    () => `30 events, got ${seen.length}`,
    10_000,
  );
  // From the first event the client got: a stall before it reads one can still replace the first
  // connection, and the event published meanwhile is then not this test's concern.
  const first = seen[0] as number;
  expect(seen.slice(0, 30)).toEqual(Array.from({ length: 30 }, (_, index) => first + index));
});

it.each([
  ['a heartbeat past setTimeout’s limit', { heartbeat: 2 ** 31 }],
  ['missed heartbeats whose product passes it', { heartbeat: 1.5e9, missedHeartbeats: 2 }],
])(
  'keeps a healthy connection with %s (the timer is capped, not fired at once)',
  async (_, options) => {
    const server = await plainServer((req, res) => {
      openSseStream(req, res, { heartbeat: 50 });
    });
    const client = createClient(server.url, { retryDelay: 10, ...options });
    onTestFinished(() => client.close());
    await until(() => client.state === 'open', 'the client to open');
    await sleep(300);
    expect(server.requests).toHaveLength(1);
    expect(client.state).toBe('open');
  },
);
