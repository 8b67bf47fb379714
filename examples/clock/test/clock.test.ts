import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { afterEach, expect, test } from 'vitest';
import { createClockServer } from '../server.js';

let server: ReturnType<typeof createClockServer> | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

test('sends ten ticks, ends the stream, and answers the reconnect with 204 so the client stops', async () => {
  server = createClockServer({ intervalMs: 20 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const requests: Array<{ status: number; lastEventId: string | null }> = [];
  const source = new EventSource(`http://127.0.0.1:${port}/time`, {
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      requests.push({
        status: response.status,
        lastEventId: new Headers(init?.headers).get('last-event-id'),
      });
      return response;
    },
  });
  const ids: string[] = [];
  source.addEventListener('tick', (event) => {
    ids.push(event.lastEventId);
    expect(Number.isNaN(Date.parse(event.data))).toBe(false);
  });
  await new Promise<void>((resolve) => {
    source.addEventListener('error', () => {
      if (source.readyState === source.CLOSED) resolve();
    });
  });

  expect(ids).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  expect(requests).toEqual([
    { status: 200, lastEventId: null },
    { status: 204, lastEventId: '10' },
  ]);
});

test('a client that dropped mid-way resumes at the next tick', async () => {
  server = createClockServer({ intervalMs: 20 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const response = await fetch(`http://127.0.0.1:${port}/time`, {
    headers: { 'last-event-id': '7' },
  });
  const body = await response.text();

  expect(response.status).toBe(200);
  expect([...body.matchAll(/^id: (\d+)$/gm)].map((match) => match[1])).toEqual(['8', '9', '10']);
});
