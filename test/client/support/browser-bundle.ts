/**
 * The client as a browser gets it: the built package (packages/client/dist, refused when stale)
 * bundled with its dependencies (the core's constants and checks, eventsource-parser) by esbuild,
 * minified, as an app's bundler would.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { assertBuilt, root } from '../../packages/support/install.js';

/** The minified ESM bundle of the built @ssekit/client. */
export async function bundleClient(): Promise<string> {
  assertBuilt();
  const result = await build({
    entryPoints: [join(root, 'packages/client/dist/index.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
  });
  return result.outputFiles[0]?.text ?? '';
}
