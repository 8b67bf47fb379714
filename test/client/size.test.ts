/**
 * The size budget of the browser build, min+gzip, everything it pulls in included (about a third
 * of it is eventsource-parser): issue 17's 5 KB for `@ssekit/client`. Tab sharing and the pause
 * while hidden live in `@ssekit/client/tabs`, so only a page that imports them pays for them; the
 * two entries together are pinned too, against growth (the size reached, with a little room).
 */
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { bundleClient } from './support/browser-bundle.js';

const minGzip = (bundle: string) => gzipSync(bundle, { level: 9 }).length;

it('bundles to 5 KB or less, minified and gzipped', async () => {
  const bundle = await bundleClient();
  expect(bundle).toContain('createClient');
  const gzipped = minGzip(bundle);
  expect(gzipped, `min+gzip ${gzipped} bytes`).toBeLessThanOrEqual(5 * 1024);
  // No core code comes along: the client needs only the core's types.
  expect(bundle).not.toContain('SseStream');
  expect(bundle).not.toContain('@ssekit/core');
  // Nor the tabs entry's code.
  expect(bundle).not.toContain('BroadcastChannel');
  expect(bundle).not.toContain('visibilitychange');
});

it('bundles with @ssekit/client/tabs to 6.75 KB or less', async () => {
  const bundle = await bundleClient({ tabs: true });
  expect(bundle).toContain('BroadcastChannel');
  const gzipped = minGzip(bundle);
  expect(gzipped, `min+gzip ${gzipped} bytes`).toBeLessThanOrEqual(6.75 * 1024);
});
