import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createDashboard } from '../../examples/dashboard/server.js';
import { describeInChromium, launchChromium } from '../support/chromium.js';
import { listen, stop } from '../support/listen.js';
import { saveScreenshot } from './support/screenshots.js';

/**
 * The numbers the page shows under its charts, read in one go: readings keep arriving every
 * 50 ms, so fields read one round trip apart can come from different frames.
 */
function pageStats(page: Page) {
  return page.evaluate(() => {
    const text = (id: string) => document.getElementById(id)?.textContent ?? '';
    const seq = (id: string) => Number(text(id).replace('#', ''));
    return {
      first: seq('first-seq'),
      last: seq('last-seq'),
      received: Number(text('received')),
      gaps: Number(text('gaps')),
      duplicates: Number(text('duplicates')),
      reconnects: Number(text('reconnects')),
    };
  });
}

describeInChromium('dashboard in Chromium', () => {
  let browser: Browser;
  // The hub and the sensors outlive the HTTP listener: the test stops and restarts the listener,
  // as a deploy behind a proxy or a network cut would, and the history survives in memory.
  const dashboard = createDashboard({ intervalMs: 50 });
  let server = createServer(dashboard.app);

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard.close();
    await stop(server);
  });

  test('renders live readings and, after the server stops and restarts, continues without gap or duplicate', async () => {
    const base = await listen(server);
    const port = (server.address() as AddressInfo).port;
    const page = await browser.newPage({ viewport: { width: 1200, height: 420 } });
    await page.goto(`${base}/`);
    await page.waitForSelector('body[data-state="live"]');
    await page.waitForFunction(
      () => Number(document.querySelector('#received')?.textContent) >= 40,
    );
    const value = await page.textContent('[data-sensor="temperature"] .value span');
    expect(Number(value)).toBeGreaterThan(50);
    expect(await page.locator('.uplot').count()).toBe(3);

    await stop(server);
    await page.waitForSelector('body[data-state="reconnecting"]');
    const beforeRestart = await pageStats(page);
    // Readings keep being published while no server listens; the page must get them later.
    await page.waitForTimeout(1_500);
    server = createServer(dashboard.app);
    await listen(server, port);

    await page.waitForSelector('body[data-state="live"]', { timeout: 10_000 });
    await page.waitForFunction(
      (last) => Number(document.querySelector('#last-seq')?.textContent?.slice(1)) > last + 60,
      beforeRestart.last,
    );
    const after = await pageStats(page);
    expect(after.reconnects).toBe(1);
    expect(after.gaps).toBe(0);
    expect(after.duplicates).toBe(0);
    expect(after.first).toBe(beforeRestart.first);
    expect(after.received).toBe(after.last - after.first + 1);
    expect(await page.isHidden('#notice')).toBe(true);

    await page.waitForFunction(
      () => Number(document.querySelector('#received')?.textContent) >= 240,
    );
    await saveScreenshot(page, 'dashboard.png');
    await page.close();
  }, 60_000);

  test("the wallboard shows each sensor's current value from the latest-value topic, and a reconnect gets the newest values, not a backlog", async () => {
    let wallServer = createServer(dashboard.app);
    const base = await listen(wallServer);
    const port = (wallServer.address() as AddressInfo).port;
    const page = await browser.newPage({ viewport: { width: 1200, height: 420 } });
    const wallboard = () =>
      page.evaluate(() => {
        const number = (selector: string) =>
          Number(document.querySelector(selector)?.textContent?.replace('#', ''));
        const sensors = ['temperature', 'humidity', 'power'];
        return {
          seqs: sensors.map((sensor) => number(`[data-sensor="${sensor}"] .seq span`)),
          received: number('#received'),
          stale: number('#stale'),
          reconnects: number('#reconnects'),
        };
      });
    try {
      await page.goto(`${base}/wallboard`);
      await page.waitForSelector('body[data-state="live"]');
      await page.waitForFunction(
        () => Number(document.querySelector('#received')?.textContent) >= 30,
      );
      const before = await wallboard();
      expect(before.seqs.every((seq) => seq > 0)).toBe(true);
      expect(
        Number(await page.textContent('[data-sensor="temperature"] .value span')),
      ).toBeGreaterThan(50);

      await stop(wallServer);
      await page.waitForSelector('body[data-state="reconnecting"]');
      // About 60 readings per sensor (180 values) are published while nothing listens.
      await page.waitForTimeout(3_000);
      wallServer = createServer(dashboard.app);
      await listen(wallServer, port);
      await page.waitForSelector('body[data-state="live"]', { timeout: 10_000 });
      const reconnected = await wallboard();
      await page.waitForFunction(
        (last) => Number(document.querySelector('.seq span')?.textContent?.slice(1)) > last + 20,
        reconnected.seqs[0] ?? 0,
      );
      const after = await wallboard();

      expect(after.reconnects).toBe(1);
      expect(after.stale).toBe(0);
      // Each sensor jumped to a value newer than any before the cut ...
      for (const [i, seq] of reconnected.seqs.entries())
        expect(seq).toBeGreaterThan(before.seqs[i] ?? 0);
      // ... from the newest value of each sensor, not the backlog of 180 a plain topic replays:
      // what arrived by the time the page saw itself live is that snapshot and a few live values.
      expect(reconnected.received - before.received).toBeLessThan(60);
      await saveScreenshot(page, 'dashboard-wallboard.png');
    } finally {
      await page.close();
      await stop(wallServer);
    }
  }, 60_000);

  test('after a real restart (history gone) the page says so and starts over instead of drawing across the hole', async () => {
    const first = createDashboard({ intervalMs: 50 });
    let restartServer = createServer(first.app);
    const base = await listen(restartServer);
    const port = (restartServer.address() as AddressInfo).port;
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    await page.waitForFunction(
      () => Number(document.querySelector('#received')?.textContent) >= 20,
    );

    // A new process: a new hub with its own history and ids, on the same port.
    await stop(restartServer);
    await first.close();
    const second = createDashboard({ intervalMs: 50 });
    restartServer = createServer(second.app);
    await listen(restartServer, port);
    try {
      await page.waitForSelector('#notice:not([hidden])', { timeout: 10_000 });
      await page.waitForFunction(
        () => Number(document.querySelector('#received')?.textContent) >= 10,
      );
      const after = await pageStats(page);
      expect(await page.textContent('#notice')).toMatch(/could not replay/);
      expect(after.gaps).toBe(0);
      expect(after.duplicates).toBe(0);
      expect(after.received).toBe(after.last - after.first + 1);
    } finally {
      await page.close();
      await second.close();
      await stop(restartServer);
    }
  }, 60_000);
});
