import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createFeedApp } from '../../examples/feed/app.js';
import { describeInChromium, launchChromium } from '../support/chromium.js';
import { stop } from '../support/listen.js';

describeInChromium('feed in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    browser = await launchChromium();
    server = serve({
      fetch: createFeedApp({ intervalMs: 50 }).fetch,
      hostname: '127.0.0.1',
      port: 0,
    }) as Server;
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await stop(server);
  });

  test('a page whose Last-Event-ID is non-ASCII is resumed where it left off', async () => {
    const page = await browser.newPage();
    const lastEventIds: Array<Promise<string | undefined>> = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/feed') {
        lastEventIds.push(request.allHeaders().then((headers) => headers['last-event-id']));
      }
    });
    const cards = () =>
      page.$$eval('#postcards li', (items) =>
        items.reverse().map((item) => ({
          seed: item.dataset.seed,
          position: Number(item.dataset.position),
          city: item.querySelector('b')?.textContent,
        })),
      );

    await page.goto(`${base}/`);
    await page.waitForFunction(() => document.querySelectorAll('#postcards li').length >= 5);
    // The client waits a random part of the 1 s retry (full jitter) and the server is still up,
    // so 'reconnecting' may last a few milliseconds: record every state rather than poll for it.
    await page.evaluate(() => {
      const states: string[] = [];
      Object.assign(window, { states });
      new MutationObserver(() => states.push(document.body.dataset.state ?? '')).observe(
        document.body,
        { attributeFilter: ['data-state'] },
      );
    });
    server.closeAllConnections();
    await page.waitForFunction(() =>
      (window as unknown as { states: string[] }).states.includes('reconnecting'),
    );
    const beforeDrop = await cards();
    await page.waitForFunction(
      (count) => document.querySelectorAll('#postcards li').length >= count + 5,
      beforeDrop.length,
    );

    const seen = await cards();
    const ids = await Promise.all(lastEventIds);
    const last = beforeDrop.at(-1);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBeUndefined();
    // The id Chromium echoed names a city in a non-Latin-1 or accented script.
    expect(ids[1]).toMatch(/[^ -~]/);
    expect(new Set(seen.map((card) => card.seed))).toEqual(new Set([last?.seed]));
    expect(seen.map((card) => card.position)).toEqual(seen.map((_, index) => index));
    await page.close();
  }, 30_000);
});
