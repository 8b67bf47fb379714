import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createChat } from '../../examples/chat/server.js';
import { describeInChromium, launchChromium } from '../support/chromium.js';
import { listen, stop } from '../support/listen.js';
import { saveScreenshot } from './support/screenshots.js';

describeInChromium('chat in Chromium', () => {
  let browser: Browser;
  const chat = createChat();
  let server: Server;
  let base: string;

  beforeAll(async () => {
    browser = await launchChromium();
    server = chat.createServer();
    base = await listen(server);
  });
  afterAll(async () => {
    await browser?.close();
    await chat.close();
    await stop(server);
  });

  async function join(nick: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 560 } });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.fill('input[name="nick"]', nick);
    await page.click('#join button');
    await page.waitForSelector('body[data-state="live"]');
    return page;
  }

  /** Sends `text` and waits for the server's answer, as a person does before the next line. */
  async function say(page: Page, text: string): Promise<void> {
    await page.fill('#send input', text);
    // Two POSTs in flight at once ride two connections and may be published in either order.
    const answered = page.waitForResponse(
      (response) =>
        response.request().method() === 'POST' &&
        new URL(response.url()).pathname.endsWith('/messages'),
    );
    await page.click('#send button');
    expect((await answered).status()).toBe(201);
  }

  const conversation = (page: Page) =>
    page.$$eval('#messages li', (items) =>
      items.map(
        (item) =>
          `${item.querySelector('b')?.textContent}: ${item.querySelector('span')?.textContent}`,
      ),
    );

  async function waitForMessages(page: Page, count: number): Promise<void> {
    await page.waitForFunction((n) => document.querySelectorAll('#messages li').length >= n, count);
  }

  test('two pages see each other, and a page reloaded mid-conversation catches up', async () => {
    const ann = await join('Ann');
    const bob = await join('Bob');
    await ann.waitForFunction(() => document.querySelectorAll('#members li').length === 2);

    await say(ann, 'Morning! Is the build green?');
    await waitForMessages(bob, 1);
    await say(bob, 'Green since 9:40, all 6 adapters.');
    await waitForMessages(ann, 2);
    await waitForMessages(bob, 2);
    expect(await conversation(ann)).toEqual([
      'Ann: Morning! Is the build green?',
      'Bob: Green since 9:40, all 6 adapters.',
    ]);
    expect(await conversation(bob)).toEqual(await conversation(ann));

    // Bob reloads; Ann keeps talking meanwhile.
    const reloading = bob.reload();
    await say(ann, 'Great, shipping the dashboard demo then.');
    await say(ann, 'Ping me if Chromium complains.');
    await reloading;
    await bob.waitForSelector('body[data-state="live"]');
    await waitForMessages(bob, 4);
    await say(bob, 'Will do. Screenshot for the README?');
    await waitForMessages(ann, 5);
    await waitForMessages(bob, 5);

    const expected = [
      'Ann: Morning! Is the build green?',
      'Bob: Green since 9:40, all 6 adapters.',
      'Ann: Great, shipping the dashboard demo then.',
      'Ann: Ping me if Chromium complains.',
      'Bob: Will do. Screenshot for the README?',
    ];
    expect(await conversation(ann)).toEqual(expected);
    expect(await conversation(bob)).toEqual(expected);
    expect(new URL(bob.url()).searchParams.get('nick')).toBe('Bob');

    await say(ann, 'Yes please, both of us in it.');
    await waitForMessages(ann, 6);
    await ann.waitForFunction(() => document.querySelectorAll('#members li').length === 2);
    await saveScreenshot(ann, 'chat.png');
    await ann.context().close();
    await bob.context().close();
  }, 30_000);
});
