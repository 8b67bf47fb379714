import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createClockServer } from '../../examples/clock/server.js';
import { describeInChromium, launchChromium } from '../support/chromium.js';
import { listen, stop } from '../support/listen.js';

describeInChromium('clock in Chromium', () => {
  let browser: Browser;
  const server = createClockServer({ intervalMs: 50 });
  let base: string;

  beforeAll(async () => {
    browser = await launchChromium();
    base = await listen(server);
  });
  afterAll(async () => {
    await browser?.close();
    await stop(server);
  });

  test('stops after ten ticks and makes no further request', async () => {
    const page: Page = await browser.newPage();
    const streamRequests: Array<Promise<string | undefined>> = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/time') {
        streamRequests.push(request.allHeaders().then((headers) => headers['last-event-id']));
      }
    });

    await page.goto(`${base}/`);
    await page.waitForSelector('body[data-state="stopped"]', { timeout: 15_000 });
    const ticks = await page.$$eval('#ticks li', (items) => items.map((item) => item.dataset.id));
    expect(ticks).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(await Promise.all(streamRequests)).toEqual([undefined, '10']);

    // Chromium's default reconnection delay is 3 s: wait past it, and nothing more may happen.
    await page.waitForTimeout(4_000);
    expect(streamRequests).toHaveLength(2);
    expect(await page.$$eval('#ticks li', (items) => items.length)).toBe(10);
    await page.close();
  }, 30_000);
});
