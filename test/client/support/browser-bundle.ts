/**
 * The client as a browser gets it: the built package (packages/client/dist, refused when stale)
 * bundled with its dependency (eventsource-parser) by esbuild, minified, as an app's bundler
 * would: the main entry alone, or with `@ssekit/client/tabs`.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { assertBuilt, root } from '../../packages/support/install.js';

/** The minified ESM bundle of the built @ssekit/client, with its `tabs` entry if asked. */
export async function bundleClient({ tabs = false } = {}): Promise<string> {
  assertBuilt();
  const dist = join(root, 'packages/client/dist');
  const result = await build({
    stdin: {
      contents: `export * from './index.js';${tabs ? "export * from './tabs/index.js';" : ''}`,
      resolveDir: dist,
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
  });
  return result.outputFiles[0]?.text ?? '';
}
