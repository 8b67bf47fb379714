/**
 * Bun and Deno for the runtime tests, fetched on first use rather than as root devDependencies:
 * they weigh far more than the rest of node_modules, and only this suite needs them, so a fresh
 * clone's `npm install` should not download them. They come from the `bun` and `deno` registry
 * packages (which ship the binaries), at pinned versions, into a cache folder under
 * node_modules that `npm ci` clears with the rest.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The runtime versions the suite runs on; raise them here. */
export const RUNTIME_VERSIONS = { bun: '1.4.5', deno: '2.9.6' } as const;

export type RuntimePackage = keyof typeof RUNTIME_VERSIONS;

const cache = fileURLToPath(
  new URL('../../../node_modules/.cache/ssekit-runtimes/', import.meta.url),
);

/** The version `binary --version` reports, or `undefined` when it does not run. */
export function versionOf(binary: string): string | undefined {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return probe.status === 0 ? /\d+\.\d+\.\d+/.exec(probe.stdout)?.[0] : undefined;
}

/**
 * The path of the pinned `name` binary, installing both runtimes into the cache first when it is
 * missing or another version.
 * @throws Error saying what npm answered and how to install by hand, when the install fails.
 */
export function runtimeBinary(name: RuntimePackage): string {
  const binary = join(cache, 'node_modules', '.bin', name);
  if (versionOf(binary) === RUNTIME_VERSIONS[name]) return binary;
  mkdirSync(cache, { recursive: true });
  // The cache is a project of its own, so its install scripts (which put each binary in place)
  // are approved there, pinned to these versions.
  const pinned = Object.entries(RUNTIME_VERSIONS).map(([pkg, version]) => `${pkg}@${version}`);
  const manifest = {
    name: 'ssekit-runtimes',
    private: true,
    description: 'Bun and Deno for test/reliability/runtimes.test.ts; installed on first use.',
    dependencies: RUNTIME_VERSIONS,
    allowScripts: Object.fromEntries(pinned.map((spec) => [spec, true])),
  };
  writeFileSync(join(cache, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], {
      cwd: cache,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const output = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(
      `Could not install ${pinned.join(' and ')} into ${cache} for the runtime tests: ` +
        `npm said:\n${output}\nNothing was tested on ${name}. Check the network or the registry, ` +
        `or run \`npm install --prefix ${cache}\` by hand.`,
    );
  }
  const installed = versionOf(binary);
  if (installed !== RUNTIME_VERSIONS[name]) {
    throw new Error(
      `${binary} reports ${installed ?? 'nothing'} after installing ${name}@${RUNTIME_VERSIONS[name]}. ` +
        `Nothing was tested on ${name}. Delete ${cache} and run the test again.`,
    );
  }
  return binary;
}
