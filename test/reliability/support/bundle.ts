/**
 * Runs an example's real `main.js` (or a docs recipe) in its own process against the current sources: esbuild
 * bundles it with `@ssekit/*` pointing at `packages/<name>/src`, leaving its other dependencies
 * (Express, ...) to resolve from the repository's node_modules as they would in production.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const sources: Record<string, string> = {
  '@ssekit/core': 'packages/core/src/index.ts',
  '@ssekit/core/node': 'packages/core/src/node/index.ts',
  '@ssekit/core/broker': 'packages/core/src/broker.ts',
  '@ssekit/core/adapter': 'packages/core/src/adapter.ts',
  '@ssekit/express': 'packages/express/src/index.ts',
  '@ssekit/koa': 'packages/koa/src/index.ts',
  '@ssekit/fastify': 'packages/fastify/src/index.ts',
  '@ssekit/h3': 'packages/h3/src/index.ts',
  '@ssekit/redis': 'packages/redis/src/index.ts',
};

const ssekitFromSource: Plugin = {
  name: 'ssekit-from-source',
  setup(context) {
    context.onResolve({ filter: /^@ssekit\// }, (args) => {
      const path = sources[args.path];
      if (path === undefined) return { errors: [{ text: `unknown ssekit entry ${args.path}` }] };
      return { path: root + path };
    });
  },
};

/** Bundles `examples/<name>/main.js`; returns the path of the runnable file. */
export function bundleExample(name: string): Promise<string> {
  return bundleEntry(`examples/${name}/main.js`, name);
}

/** Bundles `entry` (relative to the repository) as `<name>.mjs`; returns the runnable file. */
export async function bundleEntry(entry: string, name: string): Promise<string> {
  // Inside the repository, so that bare imports left external resolve from its node_modules.
  const outdir = `${root}node_modules/.cache/ssekit-reliability`;
  mkdirSync(outdir, { recursive: true });
  const outfile = `${outdir}/${name}.mjs`;
  await build({
    entryPoints: [`${root}${entry}`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    packages: 'external',
    plugins: [ssekitFromSource],
    // Files the entry reads beside itself (an example's pages) are found where they are, not
    // beside the bundle.
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(`${root}${entry}`).href) },
    logLevel: 'silent',
  });
  return outfile;
}
