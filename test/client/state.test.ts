/**
 * The state an app renders, and the two ways it reads events: `subscribe`/`getSnapshot` as
 * React's useSyncExternalStore calls them (unbound), `for await` with typed events, and the ways
 * a client ends (close, an abort signal, leaving the loop), each leaving no connection behind.
 */
import { createClient } from '@ssekit/client';
import { expect, it, onTestFinished } from 'vitest';
import { until } from '../support/wait.js';
import { hubServer, type PriceEvents, TOPIC } from './support/servers.js';

const price = (n: number) => ({ event: 'price' as const, data: { symbol: 'A', n } });

it('reports connecting, open, retrying and closed through subscribe/getSnapshot', async () => {
  const server = await hubServer();
  const client = createClient<PriceEvents>(server.url, { retryDelay: 10 });
  onTestFinished(() => client.close());
  // Unbound, as useSyncExternalStore calls them.
  const { subscribe, getSnapshot } = client;
  const states = [getSnapshot()];
  subscribe(() => states.push(getSnapshot()));
  await until(() => getSnapshot() === 'open', 'open');
  server.cut();
  await until(() => states.filter((state) => state === 'open').length === 2, 'open again');
  client.close();
  expect(states).toEqual(['connecting', 'open', 'retrying', 'connecting', 'open', 'closed']);
  expect(client.error).toBeUndefined();
});

it('yields typed events to for await, and leaving the loop closes the connection', async () => {
  const server = await hubServer();
  const client = createClient<PriceEvents>(server.url);
  await until(() => client.state === 'open', 'open');
  for (let n = 1; n <= 3; n++) await server.hub.publish(TOPIC, price(n));
  const seen: number[] = [];
  for await (const event of client) {
    if (event.event === 'price') seen.push(event.data.n);
    if (seen.length === 3) break;
  }
  expect(seen).toEqual([1, 2, 3]);
  expect(client.state).toBe('closed');
  await until(() => server.hub.stats().openStreams === 0, 'the server to see the client leave');
});

it('closes when its signal aborts, and ends every loop', async () => {
  const server = await hubServer();
  const controller = new AbortController();
  const client = createClient<PriceEvents>(server.url, { signal: controller.signal });
  const loop = (async () => {
    for await (const _ of client) {
    }
    return 'ended';
  })();
  await until(() => client.state === 'open', 'open');
  controller.abort();
  await expect(loop).resolves.toBe('ended');
  expect(client.state).toBe('closed');
  await until(() => server.hub.stats().openStreams === 0, 'the server to see the client leave');
});

it('handlers stop at close(), even for events of the same chunk', async () => {
  const server = await hubServer();
  const client = createClient<PriceEvents>(server.url);
  const seen: number[] = [];
  client.on('price', (p) => {
    seen.push(p.n);
    client.close();
  });
  await until(() => client.state === 'open', 'open');
  await Promise.all([server.hub.publish(TOPIC, price(1)), server.hub.publish(TOPIC, price(2))]);
  await until(() => client.state === 'closed', 'closed');
  expect(seen).toEqual([1]);
});
