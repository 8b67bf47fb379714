/**
 * The size budget of the browser build, min+gzip, everything it pulls in included (about a third
 * of it is eventsource-parser). Issue 17 asks for 5 KB; the build does not meet that yet, so this
 * pins the size it has reached (6 KB) against growth until it does.
 */
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { bundleClient } from './support/browser-bundle.js';

const BUDGET = 6 * 1024;

it('bundles to 6 KB or less, minified and gzipped', async () => {
  const bundle = await bundleClient();
  expect(bundle).toContain('createClient');
  const gzipped = gzipSync(bundle, { level: 9 }).length;
  expect(gzipped, `min+gzip ${gzipped} bytes`).toBeLessThanOrEqual(BUDGET);
  // No core code comes along: the client needs only the core's types.
  expect(bundle).not.toContain('SseStream');
  expect(bundle).not.toContain('@ssekit/core');
});
