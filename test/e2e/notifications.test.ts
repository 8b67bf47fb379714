import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createNotifications } from '../../examples/notifications/server.js';
import { describeInChromium, launchChromium } from '../support/chromium.js';
import { listen, stop } from '../support/listen.js';

describeInChromium('notifications in Chromium', () => {
  let browser: Browser;
  const notifications = createNotifications({
    secret: 'an-e2e-secret-that-is-long-enough-0123456789',
    ingestKey: 'e2e-key',
  });
  let server: Server;
  let base: string;

  beforeAll(async () => {
    browser = await launchChromium();
    server = notifications.app.listen(0, '127.0.0.1');
    base = await listen(server);
  });
  afterAll(async () => {
    await browser?.close();
    await notifications.close();
    await stop(server);
  });

  /** A page in its own browser context (its own cookies), counting its stream requests. */
  async function openPage() {
    const page = await (await browser.newContext()).newPage();
    const streams: number[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/alerts/events') streams.push(response.status());
    });
    await page.goto(`${base}/`);
    return { page, streams };
  }

  async function logIn(page: Page, user: string): Promise<void> {
    await page.waitForSelector('body[data-state="logged-out"]');
    await page.selectOption('select[name="user"]', user);
    await page.click('#login button');
    await page.waitForSelector('body[data-state="live"]');
  }

  const alerts = (page: Page) =>
    page.$$eval('#alerts li', (items) =>
      items.map((item) => `${item.className} ${item.dataset.device}`),
    );

  test('each signed-in page shows only its own alerts; a signed-out page opens no stream', async () => {
    const alice = await openPage();
    const bob = await openPage();
    const stranger = await openPage();
    await logIn(alice.page, 'alice');
    await logIn(bob.page, 'bob');

    await notifications.ingest({ device: 'press-7', temperature: 97 });
    await notifications.ingest({ device: 'boiler-1', temperature: 85 });
    await notifications.ingest({ device: 'boiler-2', temperature: 40 });
    await notifications.ingest({ device: 'boiler-2', temperature: 92 });
    await alice.page.waitForFunction(() => document.querySelectorAll('#alerts li').length === 2);
    await bob.page.waitForFunction(() => document.querySelectorAll('#alerts li').length === 1);

    expect(await alerts(alice.page)).toEqual(['critical boiler-2', 'warning boiler-1']);
    expect(await alerts(bob.page)).toEqual(['critical press-7']);
    expect(alice.streams).toEqual([200]);
    expect(bob.streams).toEqual([200]);

    await stranger.page.waitForSelector('body[data-state="logged-out"]');
    expect(await stranger.page.isVisible('#login')).toBe(true);
    expect(stranger.streams).toEqual([]);
    // Forced: the browser's own EventSource, without a session, gets 401 and stops for good.
    const readyState = await stranger.page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const source = new EventSource('/alerts/events');
          source.onerror = () => setTimeout(() => resolve(source.readyState), 100);
        }),
    );
    expect(readyState).toBe(2);
    expect(stranger.streams).toEqual([401]);

    await alice.page.click('#logout');
    await alice.page.waitForSelector('body[data-state="logged-out"]');
    await alice.page.reload();
    await alice.page.waitForSelector('body[data-state="logged-out"]');
    expect(alice.streams).toEqual([200]);
  }, 30_000);

  test('a page whose session ends shows the login form after one 401, with no retry loop', async () => {
    const alice = await openPage();
    await logIn(alice.page, 'alice');
    // The session goes (cookies cleared), then the connection drops: the client reconnects once.
    await alice.page.context().clearCookies();
    server.closeAllConnections();
    await alice.page.waitForSelector('body[data-state="logged-out"]');
    // Past the server's retry hint (2 s): still no request after the 401.
    await alice.page.waitForTimeout(2_500);
    expect(alice.streams).toEqual([200, 401]);
  }, 30_000);
});
