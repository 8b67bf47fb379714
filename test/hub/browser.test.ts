import { RESET_EVENT } from '@ssekit/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeInChromium, launchChromium } from '../support/chromium.js';
import { until } from '../support/wait.js';
import { fetchReader } from './support/clients.js';
import { hubTest } from './support/fixture.js';
import type { HubServer } from './support/server.js';

const { readers, serve } = hubTest();

/** A page that opens an EventSource on `?stream=<query>` and records what it sees. */
const PAGE = `<!doctype html><script>
  const query = new URLSearchParams(location.search).get('stream') ?? '';
  window.seen = [];
  window.states = [];
  const source = new EventSource('/' + query);
  const record = (event) => window.seen.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
  source.onmessage = record;
  source.addEventListener('${RESET_EVENT}', record);
  source.onerror = () => window.states.push(source.readyState);
  source.onopen = () => window.states.push('open');
</script>`;

interface Seen {
  type: string;
  data: string;
  lastEventId: string;
}

let browser: Browser;
let page: Page | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await page?.close();
});

async function seen(): Promise<Seen[]> {
  return (await page?.evaluate(() => (window as unknown as { seen: Seen[] }).seen)) ?? [];
}

async function waitForSeen(count: number): Promise<Seen[]> {
  await page?.waitForFunction(
    (n) => (window as unknown as { seen: unknown[] }).seen.length >= n,
    count,
  );
  return seen();
}

describeInChromium('the hub in Chromium', () => {
  it('resumes from the cursor of a client that saw nothing before it reconnected', async () => {
    const { hub, server } = await serve({}, { page: PAGE, stream: { retry: 200 } });
    const before = await hub.publish('t', { data: 'old' });
    page = await browser.newPage();
    await page.goto(`${server.url}page`);
    await until(() => hub.stats().openStreams === 1, 'the browser to connect');
    (server.streams[0] as HubServer['streams'][0]).close();
    await hub.publish('t', { data: 'missed-1' });
    await hub.publish('t', { data: 'missed-2' });
    const events = await waitForSeen(2);
    expect(server.lastEventIds).toEqual([undefined, before]);
    expect(events.map((event) => event.data)).toEqual(['missed-1', 'missed-2']);
  });

  it('gets the reset signal, and its id becomes the browser last event id', async () => {
    const { hub, server } = await serve({}, { page: PAGE, stream: { retry: 200 } });
    await hub.publish('t', { data: 'x' });
    page = await browser.newPage();
    await page.goto(`${server.url}page?stream=${encodeURIComponent('?lastEventId=bogus')}`);
    const [reset] = await waitForSeen(1);
    expect(reset?.type).toBe(RESET_EVENT);
    const newest = await hub.publish('t', { data: 'y' });
    await waitForSeen(2);
    (server.streams[0] as HubServer['streams'][0]).close();
    await until(() => server.lastEventIds.length === 2, 'the reconnect');
    expect(server.lastEventIds[1]).toBe(newest);
  });

  it('keeps retrying when turned away by maxConnections, and gets in once there is room', async () => {
    const { hub, server } = await serve({ maxConnections: 1, busyRetry: 100 }, { page: PAGE });
    const holder = fetchReader(server.url);
    readers.push(holder);
    await until(() => hub.stats().openStreams === 1, 'the slot to be taken');
    page = await browser.newPage();
    await page.goto(`${server.url}page`);
    await until(() => hub.stats().connectionsRejected >= 3, 'the browser to retry');
    holder.abort();
    await until(
      () => hub.stats().openStreams === 1 && hub.stats().connectionsRejected >= 3,
      'room',
    );
    await until(() => server.streams.at(-1)?.isClosed === false, 'the browser to get in');
    await hub.publish('t', { data: 'welcome' });
    const events = await waitForSeen(1);
    expect(events[0]?.data).toBe('welcome');
    const states = (await page.evaluate(
      () => (window as unknown as { states: unknown[] }).states,
    )) as unknown[];
    expect(states).not.toContain(2);
  });
});
