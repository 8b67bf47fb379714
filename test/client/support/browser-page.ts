/**
 * A page for Chromium that loads the bundled client (see browser-bundle.ts, with its `tabs`
 * entry) from the same origin as the stream: `/` is the page, `/client.js` the bundle,
 * `/favicon.ico` a 404, everything else goes to the server under test. The page puts
 * `createClient`, `shareAcrossTabs` and `pauseWhenHidden` on `window`.
 */
import type http from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';

/** The page: loads `/client.js` and puts its exports on `window`. */
export const PAGE = `<!doctype html><meta charset="utf-8"><title>client</title>
<script type="module">
import { createClient, pauseWhenHidden, shareAcrossTabs } from '/client.js';
Object.assign(window, { createClient, pauseWhenHidden, shareAcrossTabs });
window.clientReady = true;
</script>`;

/** Wraps `listener` so that it also serves the page and the bundle. */
export function servingPage(bundle: string) {
  return (listener: http.RequestListener): http.RequestListener =>
    (req, res) => {
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      else if (req.url === '/favicon.ico') res.writeHead(404).end();
      else if (req.url === '/client.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      } else listener(req, res);
    };
}

/** A new tab of `context` on the page at `origin`, once `createClient` is there. */
export async function openPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (window as unknown as { clientReady?: boolean }).clientReady);
  return page;
}
