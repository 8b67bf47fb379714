/**
 * Tabs in Chromium (pages of one browser context): `shareAcrossTabs()` holds one connection for all
 * of them and survives the closing of the tab that holds it, with no loss and no duplicate;
 * without Web Locks each tab connects on its own. `pauseWhenHidden` lets the connection go while
 * the page is hidden and comes back once, with no extra request on quick tab switches.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { describeInChromium, launchChromium } from '../support/chromium.js';
import { sleep, until } from '../support/wait.js';
import { bundleClient } from './support/browser-bundle.js';
import { openPage, servingPage } from './support/browser-page.js';
import { collect, type TestWindow } from './support/page-client.js';
import { hubServer, TOPIC } from './support/servers.js';

const price = (n: number) => ({ event: 'price' as const, data: { symbol: 'A', n } });
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);
const seenIn = (tab: Page) => tab.evaluate(() => (window as unknown as TestWindow).seen);
const stateIn = (tab: Page) => tab.evaluate(() => (window as unknown as TestWindow).client.state);

describeInChromium('@ssekit/client across tabs in Chromium', () => {
  let browser: Browser;
  let bundle: string;

  beforeAll(async () => {
    bundle = await bundleClient({ tabs: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    onTestFinished(() => context.close());
    return context;
  }

  const streamRequests = (server: Awaited<ReturnType<typeof hubServer>>) =>
    server.requests.filter((request) => request.url === '/events');

  it.each([2, 3])(
    '%i tabs share one connection; when its tab closes mid-stream, another resumes: no loss, no duplicate',
    async (count) => {
      const server = await hubServer(undefined, { around: servingPage(bundle) });
      const origin = new URL(server.url).origin;
      const context = await newContext();
      const tabs: Page[] = [];
      for (let index = 0; index < count; index++) {
        const tab = await openPage(context, origin);
        await collect(tab, server.url, { share: true, retryDelay: 20 });
        // The first tab takes the lock before the others ask for it.
        if (index === 0) {
          await tab.waitForFunction(
            () => (window as unknown as TestWindow).client.state === 'open',
          );
        }
        tabs.push(tab);
      }
      for (const tab of tabs) {
        await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
      }
      expect(streamRequests(server)).toHaveLength(1);
      for (let n = 1; n <= 10; n++) await server.hub.publish(TOPIC, price(n));
      for (const tab of tabs) {
        await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 10);
      }
      // The leader's tab closes while events keep coming.
      const [leader, ...others] = tabs as [Page, ...Page[]];
      const publishing = (async () => {
        for (let n = 11; n <= 40; n++) {
          await server.hub.publish(TOPIC, price(n));
          await sleep(10);
        }
      })();
      await sleep(50);
      await leader.close({ runBeforeUnload: true });
      await publishing;
      for (const tab of others) {
        await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length >= 40, null, {
          timeout: 10_000,
        });
      }
      await sleep(200);
      for (const tab of others) expect(await seenIn(tab)).toEqual(range(1, 40));
      const requests = streamRequests(server);
      expect(requests).toHaveLength(2);
      expect(requests[1]?.lastEventId).toMatch(/^\d+-\d+$/);
    },
    60_000,
  );

  it('connects once per tab where Web Locks are missing', async () => {
    const server = await hubServer(undefined, { around: servingPage(bundle) });
    const context = await newContext();
    await context.addInitScript(() => {
      Object.defineProperty(navigator, 'locks', { value: undefined });
    });
    const tabs = [
      await openPage(context, new URL(server.url).origin),
      await openPage(context, new URL(server.url).origin),
    ];
    for (const tab of tabs) await collect(tab, server.url, { share: true });
    for (const tab of tabs) {
      await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    }
    expect(streamRequests(server)).toHaveLength(2);
    await server.hub.publish(TOPIC, price(1));
    for (const tab of tabs) {
      await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 1);
      expect(await seenIn(tab)).toEqual([1]);
    }
  });

  /** Makes the page hidden or visible as a tab switch does, and tells it. */
  const setHidden = (tab: Page, hidden: boolean) =>
    tab.evaluate((hidden) => {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => (hidden ? 'hidden' : 'visible'),
      });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);

  it('pauseWhenHidden: lets go after the threshold, resumes once when shown, no request on quick switches', async () => {
    const server = await hubServer(undefined, { around: servingPage(bundle) });
    const context = await newContext();
    const tab = await openPage(context, new URL(server.url).origin);
    await collect(tab, server.url, { pauseWhenHidden: 300 });
    await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'open');
    await server.hub.publish(TOPIC, price(1));
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 1);
    // Quick switches, each shorter than the threshold: nothing changes.
    for (let switches = 0; switches < 5; switches++) {
      await setHidden(tab, true);
      await sleep(30);
      await setHidden(tab, false);
    }
    await sleep(400);
    expect(streamRequests(server)).toHaveLength(1);
    expect(await stateIn(tab)).toBe('open');
    // Hidden past the threshold: the connection goes, and the server sees it go.
    await setHidden(tab, true);
    await tab.waitForFunction(() => (window as unknown as TestWindow).client.state === 'paused');
    await until(() => server.hub.stats().openStreams === 0, 'the server to see the stream end');
    await server.hub.publish(TOPIC, price(2));
    // Shown again (twice in a row): one request, from the last id; the missed event arrives.
    await setHidden(tab, false);
    await setHidden(tab, false);
    await tab.waitForFunction(() => (window as unknown as TestWindow).seen.length === 2);
    await sleep(200);
    expect(await seenIn(tab)).toEqual([1, 2]);
    const requests = streamRequests(server);
    expect(requests).toHaveLength(2);
    expect(requests[1]?.lastEventId).toMatch(/^\d+-\d+$/);
  });
});
