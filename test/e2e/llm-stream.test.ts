import type { Browser } from 'playwright-core';
import { type Server, serve } from 'srvx';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createApp } from '../../examples/llm-stream/app.js';
import { describeInChromium, launchChromium } from '../support/chromium.js';

describeInChromium('llm-stream in Chromium', () => {
  let browser: Browser;
  let server: Server;

  beforeAll(async () => {
    browser = await launchChromium();
    server = serve({
      fetch: createApp({ tokenDelayMs: 30 }).fetch,
      hostname: '127.0.0.1',
      port: 0,
      silent: true,
      gracefulShutdown: false,
    });
    await server.ready();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close(true);
  });

  test('renders the answer progressively, ends on done, and does not reconnect', async () => {
    const page = await browser.newPage();
    const generateRequests: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/generate') generateRequests.push(request.method());
    });
    await page.goto(server.url as string);
    // Record every text the answer shows, as the page renders it.
    await page.evaluate(() => {
      const answer = document.querySelector('#answer') as HTMLElement;
      const states: string[] = [];
      (window as unknown as { states: string[] }).states = states;
      new MutationObserver(() => states.push(answer.textContent ?? '')).observe(answer, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });

    await page.fill('input[name="prompt"]', 'Tell me about streams');
    await page.click('button');
    await page.waitForSelector('body[data-state="done"]', { timeout: 15_000 });

    const final = await page.textContent('#answer');
    const states = await page.evaluate(() => (window as unknown as { states: string[] }).states);
    const distinct = [...new Set(states.filter((state) => state !== ''))];
    expect(final).toMatch(/^You asked: “Tell me about streams”\. Server-Sent Events/);
    expect(final).toMatch(/closes the connection\.$/);
    // Each state is a longer prefix of the final answer: the text grew as tokens arrived.
    expect(distinct.length).toBeGreaterThanOrEqual(5);
    distinct.forEach((state, index) => {
      expect(final?.startsWith(state)).toBe(true);
      if (index > 0) expect(state.length).toBeGreaterThan((distinct[index - 1] as string).length);
    });
    expect(await page.textContent('#status')).toMatch(/^Done: \d+ tokens\.$/);

    // Past a reconnection delay: still the one request, the prompt in its body.
    await page.waitForTimeout(4_000);
    expect(generateRequests).toEqual(['POST']);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    await page.close();
  }, 30_000);
});
