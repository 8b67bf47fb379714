/**
 * The state an app renders, and the two ways it reads events: `subscribe`/`getSnapshot` as
 * React's useSyncExternalStore calls them (unbound), `for await` with typed events, and the ways
 * a client ends (close, an abort signal, leaving the loop), each leaving no connection behind.
 */
import { getEventListeners } from 'node:events';
import { createClient } from '@ssekit/client';
import { expect, it, onTestFinished } from 'vitest';
import { sleep, until } from '../support/wait.js';
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

it('a state listener that throws is reported with ERR_SSE_HANDLER; the client connects, delivers and closes as usual', async () => {
  const server = await hubServer();
  const errors: string[] = [];
  const client = createClient<PriceEvents>(server.url, {
    retryDelay: 10,
    onError: (error) => errors.push(error.code),
  });
  onTestFinished(() => client.close());
  client.subscribe(() => {
    throw new Error(`listener broke at ${client.state}`);
  });
  const loop = (async () => {
    const seen: number[] = [];
    for await (const event of client) if (event.event === 'price') seen.push(event.data.n);
    return seen;
  })();
  const seen: number[] = [];
  client.on('price', (p) => seen.push(p.n));
  await until(() => client.state === 'open', 'open');
  server.cut();
  await until(() => server.requests.length === 2 && client.state === 'open', 'open again');
  await server.hub.publish(TOPIC, price(1));
  await until(() => seen.length === 1, 'the event');
  client.close();
  await expect(loop).resolves.toEqual([1]);
  // open, retrying, connecting, open, closed (it subscribed while connecting): each threw, each
  // was reported.
  expect(errors).toEqual(Array(5).fill('ERR_SSE_HANDLER'));
});

it('two next() calls in flight get one event each, in order, and both settle on close()', async () => {
  const server = await hubServer();
  const client = createClient<PriceEvents>(server.url);
  onTestFinished(() => client.close());
  await until(() => client.state === 'open', 'open');
  const iterator = client[Symbol.asyncIterator]();
  const first = iterator.next();
  const second = iterator.next();
  const third = iterator.next();
  await server.hub.publish(TOPIC, price(1));
  await server.hub.publish(TOPIC, price(2));
  const data = async (result: Promise<IteratorResult<unknown>>) => (await result).value;
  expect(await data(first)).toMatchObject({ data: { n: 1 } });
  expect(await data(second)).toMatchObject({ data: { n: 2 } });
  client.close();
  await expect(third).resolves.toEqual({ done: true, value: undefined });
});

it('a handler added while an event is handled gets the next event, not this one', async () => {
  const server = await hubServer();
  const client = createClient<PriceEvents>(server.url);
  onTestFinished(() => client.close());
  const seen: number[] = [];
  // Handles one event and adds itself again for the next, as a "once" helper does.
  const once = (p: PriceEvents['price']) => {
    seen.push(p.n);
    remove();
    remove = client.on('price', once);
  };
  let remove = client.on('price', once);
  await until(() => client.state === 'open', 'open');
  await server.hub.publish(TOPIC, price(1));
  await server.hub.publish(TOPIC, price(2));
  await until(() => seen.length >= 2, 'two events');
  await sleep(50);
  expect(seen).toEqual([1, 2]);
});

it("removes its listener from the app's signal when it closes", async () => {
  const server = await hubServer();
  const controller = new AbortController();
  for (let n = 0; n < 5; n++) {
    const client = createClient<PriceEvents>(server.url, { signal: controller.signal });
    client.close();
  }
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});

it('a handler removed, or the client closed, by an earlier handler gets nothing more', async () => {
  const server = await hubServer();
  const client = createClient<PriceEvents>(server.url);
  onTestFinished(() => client.close());
  const seen: string[] = [];
  let removeB = () => {};
  client.on('price', (p) => {
    seen.push(`A ${p.n}`);
    removeB();
    if (p.n === 2) client.close();
  });
  removeB = client.on('price', (p) => seen.push(`B ${p.n}`));
  client.on('price', (p) => seen.push(`C ${p.n}`));
  const looped: number[] = [];
  const loop = (async () => {
    for await (const event of client) if (event.event === 'price') looped.push(event.data.n);
  })();
  await until(() => client.state === 'open', 'open');
  await server.hub.publish(TOPIC, price(1));
  await until(() => seen.length === 2, 'the first event');
  await server.hub.publish(TOPIC, price(2));
  await loop;
  expect(seen).toEqual(['A 1', 'C 1', 'A 2']);
  expect(looped).toEqual([1]);
});
