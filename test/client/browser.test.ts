/**
 * The client in Chromium, as a browser loads it (the built package bundled by esbuild), against
 * our servers: every framework entry, the hub on Redis, the hub's reset, token refresh, POST,
 * 204, non-SSE answers, a silent connection (a freezing proxy, a stopped server process), offline/online and a reload with `resume: 'session'`.
 * The shared-tabs and page-lifecycle behaviour has its own file (browser-tabs.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryHistory } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import { redisBroker } from '@ssekit/redis';
import { Redis } from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  deleteKeysUnder,
  REDIS_URL,
  randomPrefix,
  redisIsAvailable,
} from '../redis/support/redis.js';
import { describeInChromium, launchChromium } from '../support/chromium.js';
import { until } from '../support/wait.js';
import { bundleClient } from './support/browser-bundle.js';
import { openPage, PAGE, servingPage } from './support/browser-page.js';
import { freezingProxy } from './support/freezing-proxy.js';
import { startHubProcess } from './support/hub-process.js';
import { collect, type TestWindow } from './support/page-client.js';
import { ADAPTERS, hubServer, plainServer, TOPIC } from './support/servers.js';

const price = (n: number) => ({ event: 'price' as const, data: { symbol: 'A', n } });
const withRedis = await redisIsAvailable('client browser');
const redisPrefix = randomPrefix();

describeInChromium('@ssekit/client in Chromium', () => {
  let browser: Browser;
  let bundle: string;
  let context: BrowserContext;

  beforeAll(async () => {
    bundle = await bundleClient({ tabs: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (withRedis) await deleteKeysUnder(redisPrefix);
  });

  async function page(origin: string): Promise<Page> {
    context = await browser.newContext();
    onTestFinished(() => context.close());
    return openPage(context, origin);
  }

  /** Publishes 1..5, cuts every connection, publishes 6..10; the page must see 1..10 once. */
  async function resumeAcrossCut(server: Awaited<ReturnType<typeof hubServer>>) {
    const tab = await page(new URL(server.url).origin);
    await collect(tab, server.url, { retryDelay: 20 });
    await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    for (let n = 1; n <= 5; n++) await server.hub.publish(TOPIC, price(n));
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 5);
    server.cut();
    for (let n = 6; n <= 10; n++) await server.hub.publish(TOPIC, price(n));
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 10);
    expect(await tab.evaluate(() => (window as unknown as TestWindow).seen)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(server.requests.at(-1)?.lastEventId).toMatch(/^\d+-\d+$/);
  }

  describe.each(['express', 'koa', 'h3', 'fetch entry (createSseResponse)'])('%s', (name) => {
    it('resumes with Last-Event-ID after a cut: no loss, no duplicate', async () => {
      const server = await hubServer(ADAPTERS[name], { around: servingPage(bundle) });
      await resumeAcrossCut(server);
    });
  });

  it.runIf(withRedis)('the hub on Redis: resumes after a cut, no loss, no duplicate', async () => {
    const redis = new Redis(REDIS_URL);
    const broker = redisBroker({ client: redis, key: `${redisPrefix}prices` });
    await broker.ready();
    const server = await hubServer(undefined, {
      hub: { broker },
      around: servingPage(bundle),
    });
    onTestFinished(async () => {
      await redis.quit();
    });
    await resumeAcrossCut(server);
  });

  it("reports the hub's reset through onReset", async () => {
    const server = await hubServer(undefined, {
      hub: { history: memoryHistory({ maxEvents: 2 }) },
      around: servingPage(bundle),
    });
    const first = await server.hub.publish(TOPIC, price(1));
    for (let n = 2; n <= 4; n++) await server.hub.publish(TOPIC, price(n));
    const tab = await page(new URL(server.url).origin);
    await collect(tab, server.url, { lastEventId: first });
    await tab.waitForFunction(() => (window as unknown as TestWindow).resets.length === 1);
    await server.hub.publish(TOPIC, price(5));
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 1);
    expect(await tab.evaluate(() => (window as unknown as TestWindow).seen)).toEqual([5]);
  });

  it('sends the refreshed token on reconnect (headers as a function)', async () => {
    const server = await hubServer(undefined, { around: servingPage(bundle) });
    const tab = await page(new URL(server.url).origin);
    await tab.evaluate((url) => {
      const w = window as unknown as TestWindow;
      w.token = 'one';
      w.client = w.createClient(url, {
        headers: () => ({ Authorization: `Bearer ${w.token}` }),
        retryDelay: 20,
      });
    }, server.url);
    await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    await tab.evaluate(() => {
      (window as unknown as TestWindow).token = 'two';
    });
    server.cut();
    await until(() => server.requests.length === 2, 'the reconnect');
    expect(server.requests.map((request) => request.authorization)).toEqual([
      'Bearer one',
      'Bearer two',
    ]);
  });

  it('does not send a POST again when the stream has no ids', async () => {
    const server = await plainServer((req, res) => {
      openSseStream(req, res).send({ event: 'price', data: { symbol: 'A', n: 1 } });
      setTimeout(() => res.socket?.destroy(), 50);
    }, servingPage(bundle));
    const tab = await page(new URL(server.url).origin);
    await collect(tab, server.url, { method: 'POST', body: 'order', retryDelay: 1 });
    await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'closed');
    expect(await tab.evaluate(() => (window as unknown as TestWindow).errors)).toEqual([
      'ERR_SSE_CONNECTION_LOST',
    ]);
    expect(server.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  it.each([
    ['204', (res: import('node:http').ServerResponse) => res.writeHead(204).end(), []],
    [
      'an HTML page',
      (res: import('node:http').ServerResponse) =>
        res.writeHead(200, { 'content-type': 'text/html' }).end('<p>login</p>'),
      ['ERR_SSE_NOT_EVENT_STREAM'],
    ],
  ])('stops on %s, with one request', async (_name, answer, errors) => {
    const server = await plainServer((_req, res) => answer(res), servingPage(bundle));
    const tab = await page(new URL(server.url).origin);
    await collect(tab, server.url, { retryDelay: 1 });
    await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'closed');
    await tab.waitForTimeout(100);
    expect(await tab.evaluate(() => (window as unknown as TestWindow).errors)).toEqual(errors);
    expect(server.requests.filter((request) => request.url === '/events')).toHaveLength(1);
  });

  it('replaces a connection gone silent behind a proxy (watchdog), losing nothing', async () => {
    const server = await hubServer(undefined, {
      stream: { heartbeat: 50 },
      around: servingPage(bundle),
    });
    const proxy = await freezingProxy(server.url);
    const tab = await page(new URL(proxy.url).origin);
    await collect(tab, proxy.url, { heartbeat: 100, missedHeartbeats: 3, retryDelay: 20 });
    await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    await server.hub.publish(TOPIC, price(1));
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 1);
    proxy.freeze();
    await server.hub.publish(TOPIC, price(2));
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 2, null, {
      timeout: 10_000,
    });
    expect(await tab.evaluate(() => (window as unknown as TestWindow).seen)).toEqual([1, 2]);
  });

  it('replaces a connection to a server process that was stopped (SIGSTOP), losing nothing once it runs again', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'ssekit-client-page-'));
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    writeFileSync(join(folder, 'index.html'), PAGE);
    writeFileSync(join(folder, 'client.js'), bundle);
    const server = await startHubProcess(folder);
    const tab = await page(new URL(server.url).origin);
    await collect(tab, server.url, { heartbeat: 100, missedHeartbeats: 3, retryDelay: 20 });
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 1);
    const states = await tab.evaluateHandle(() => {
      const { client } = window as unknown as TestWindow;
      const seen: string[] = [];
      client.subscribe(() => seen.push(client.state));
      return seen;
    });
    server.stop();
    await tab.waitForFunction((seen) => seen.includes('retrying'), states, { timeout: 10_000 });
    server.resume();
    // The process publishes one price every 50 ms; after the resume none is missing.
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 30, null, {
      timeout: 10_000,
    });
    const seen = await tab.evaluate(() => (window as unknown as TestWindow).seen.slice(0, 30));
    // From the first price the page got: on a loaded machine the first response can take longer
    // than the silence limit, and that connection is replaced before the client has a position,
    // so the prices published meanwhile were never the client's (as with a later page load).
    const first = seen[0] as number;
    expect(seen).toEqual(Array.from({ length: 30 }, (_, index) => first + index));
  });

  it.each([
    ['nothing else ends it', false],
    ['the server cuts it too', true],
  ])(
    'lets the connection go when the browser goes offline (%s), and reconnects at once when it comes back online, not after its backoff',
    async (_, cut) => {
      const server = await hubServer(undefined, { around: servingPage(bundle) });
      const tab = await page(new URL(server.url).origin);
      // A one-minute backoff: only the online event can bring the client back within the test.
      await collect(tab, server.url, { retryDelay: 60_000, maxRetryDelay: 60_000 });
      await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
      // What the page saw, for the message of a failure: the client's states and the network's.
      const seenInPage = await tab.evaluateHandle(() => {
        const { client } = window as unknown as TestWindow;
        const log: string[] = [];
        client.subscribe(() => log.push(client.state));
        for (const name of ['online', 'offline']) addEventListener(name, () => log.push(name));
        return log;
      });
      await context.setOffline(true);
      if (cut) server.cut();
      await tab.waitForFunction(
        () => (window as unknown as TestWindow).client.state === 'retrying',
      );
      await until(() => server.hub.stats().openStreams === 0, 'the server to see the stream end');
      await server.hub.publish(TOPIC, price(1));
      await context.setOffline(false);
      await tab
        .waitForFunction(() => (window as unknown as TestWindow).seen.length === 1, null, {
          timeout: 10_000,
        })
        .catch(async (error: Error) => {
          const log = await seenInPage.jsonValue();
          const errors = await tab.evaluate(() => (window as unknown as TestWindow).errors);
          throw new Error(
            `${error.message}; the page saw ${log.join(', ')}; errors [${errors.join(', ')}]; ${server.requests.length} requests`,
          );
        });
      expect(server.requests).toHaveLength(2);
      expect(server.requests[1]?.lastEventId).toMatch(/^\d+-\d+$/);
    },
  );

  it("resumes after a page reload with resume: 'session'", async () => {
    const server = await hubServer(undefined, { around: servingPage(bundle) });
    const tab = await page(new URL(server.url).origin);
    await collect(tab, server.url, { resume: 'session' });
    await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    const first = await server.hub.publish(TOPIC, price(1));
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 1);
    await tab.reload();
    await tab.waitForFunction(() => (window as unknown as { clientReady?: boolean }).clientReady);
    await server.hub.publish(TOPIC, price(2));
    await collect(tab, server.url, { resume: 'session' });
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 1);
    expect(await tab.evaluate(() => (window as unknown as TestWindow).seen)).toEqual([2]);
    expect(server.requests.at(-1)?.lastEventId).toBe(first);
  });
});
