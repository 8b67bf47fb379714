import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterAll, afterEach, expect, test } from 'vitest';
import { createDashboard } from '../server.js';

const dashboard = createDashboard({ intervalMs: 10 });
let server = createServer(dashboard.app);
afterEach(() => {
  server.closeAllConnections();
  server.close();
});
afterAll(() => dashboard.close());

async function start(): Promise<string> {
  server = createServer(dashboard.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Reading {
  seq: number;
}

/** Reads `count` readings from `/events`, then hangs up; returns them and the last id. */
async function readReadings(url: string, count: number, lastEventId?: string) {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: {
      accept: 'text/event-stream',
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
    signal: controller.signal,
  });
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (events.filter((event) => event.event === 'reading').length >= count) break;
  }
  controller.abort();
  const readings = events.filter((event) => event.event === 'reading');
  return {
    seqs: readings.map((event) => (JSON.parse(event.data) as Reading).seq),
    lastId: readings.at(-1)?.id as string,
  };
}

function consecutive(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => from + index);
}

test('a client that reconnects with its Last-Event-ID gets every reading it missed, once', async () => {
  const base = await start();
  const first = await readReadings(`${base}/events`, 5);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const second = await readReadings(`${base}/events`, 40, first.lastId);

  const last = first.seqs.at(-1) as number;
  expect(first.seqs).toEqual(consecutive(first.seqs[0] as number, 5));
  expect(second.seqs).toEqual(consecutive(last + 1, 40));
});

test('the snapshot and the stream opened after it join without a gap', async () => {
  const base = await start();
  const snapshot = (await (await fetch(`${base}/readings`)).json()) as {
    readings: Reading[];
    lastId: string;
  };
  await new Promise((resolve) => setTimeout(resolve, 100));
  const live = await readReadings(
    `${base}/events?lastEventId=${encodeURIComponent(snapshot.lastId)}`,
    20,
  );

  const last = snapshot.readings.at(-1)?.seq as number;
  expect(live.seqs).toEqual(consecutive(last + 1, 20));
});

test('an id from another process gets the reset signal, not a silent gap', async () => {
  const base = await start();
  const response = await fetch(`${base}/events`, {
    headers: { accept: 'text/event-stream', 'last-event-id': '1000-5' },
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while (!text.includes('event: ssekit:reset')) {
    const { value } = await reader.read();
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  expect(text).toMatch(/event: ssekit:reset/);
});

test('serves the page and uPlot from node_modules, and refuses /events to a JSON client', async () => {
  const base = await start();
  expect((await fetch(`${base}/`)).headers.get('content-type')).toMatch(/^text\/html/);
  expect((await fetch(`${base}/vendor/uplot/uPlot.esm.js`)).status).toBe(200);
  const json = await fetch(`${base}/events`, { headers: { accept: 'application/json' } });
  expect(json.status).toBe(406);
});

test('exposes the hub statistics for Prometheus', async () => {
  const base = await start();
  await readReadings(`${base}/events`, 3);
  const response = await fetch(`${base}/metrics`);
  const text = await response.text();

  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const published = Number(/^ssekit_events_published_total (\d+)$/m.exec(text)?.[1]);
  const delivered = Number(/^ssekit_events_delivered_total (\d+)$/m.exec(text)?.[1]);
  expect(published).toBeGreaterThan(0);
  expect(delivered).toBeGreaterThanOrEqual(3);
  expect(text).toMatch(/^# TYPE ssekit_open_streams gauge$/m);
});

test('/current gives a new client the latest value of each sensor at once, then live values', async () => {
  const base = await start();
  // Readings have been published for a while: the snapshot is the newest per sensor, not history.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const controller = new AbortController();
  const response = await fetch(`${base}/current`, {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (events.filter((event) => event.event === 'current').length >= 6) break;
  }
  controller.abort();
  const current = events
    .filter((event) => event.event === 'current')
    .map((event) => JSON.parse(event.data) as { sensor: string; seq: number });
  const snapshot = current.slice(0, 3);
  expect(snapshot.map((value) => value.sensor)).toEqual(['temperature', 'humidity', 'power']);
  // One reading's values, all three, however many readings came before.
  expect(new Set(snapshot.map((value) => value.seq)).size).toBe(1);
  expect((snapshot[0] as { seq: number }).seq).toBeGreaterThan(3);
  expect(current.slice(3).every((value) => value.seq > (snapshot[0] as { seq: number }).seq)).toBe(
    true,
  );
});
