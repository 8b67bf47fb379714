/**
 * The built packages as a user installs them: `npm pack` of each ssekit package (so only what
 * would be published), unpacked into a temporary node_modules. The frameworks, srvx and ioredis
 * are linked from the repository's node_modules, so nothing is downloaded. Refuses to run on a
 * missing or stale dist: these tests are about the build, never about the sources.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('../fixture/', import.meta.url));

/** The folders under packages/ that are published. */
export const PACKAGES = ['core', 'express', 'koa', 'fastify', 'h3', 'redis', 'client'] as const;

/**
 * What the scenarios load besides ssekit (and what ssekit packages depend on), and the folder of
 * the repository's node_modules that has it.
 */
const LINKED = {
  express: 'express5',
  koa: 'koa3',
  fastify: 'fastify',
  'fastify-plugin': 'fastify-plugin',
  h3: 'h3',
  srvx: 'srvx',
  ioredis: 'ioredis',
  'eventsource-parser': 'eventsource-parser',
};

/** Files of `dir` (recursively), as paths relative to `dir`; none when `dir` does not exist. */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) =>
      statSync(join(dir, file)).isFile(),
    );
  } catch {
    return [];
  }
}

/** What a package's dist is built from: its sources (not its tests) and its build settings. */
function buildInputs(name: string): string[] {
  const sources = filesUnder(join(root, 'packages', name, 'src'))
    .filter((file) => file.endsWith('.ts') && !/\.test(-d)?\.ts$|\.property\.test\.ts$/.test(file))
    .map((file) => `packages/${name}/src/${file}`);
  return [
    ...sources,
    `packages/${name}/package.json`,
    `packages/${name}/tsup.config.ts`,
    'tsup.shared.ts',
  ];
}

/**
 * Throws unless every package's dist exists and is newer than everything it is built from.
 * @throws Error naming the missing or stale dist and saying to run `npm run build`.
 */
export function assertBuilt(): void {
  for (const name of PACKAGES) {
    const dist = join(root, 'packages', name, 'dist');
    const builtAt = Math.min(...filesUnder(dist).map((file) => statSync(join(dist, file)).mtimeMs));
    const changed = buildInputs(name).find((file) => statSync(join(root, file)).mtimeMs > builtAt);
    if (builtAt === Number.POSITIVE_INFINITY || changed !== undefined) {
      const problem =
        changed === undefined
          ? `packages/${name}/dist is missing`
          : `${changed} changed after packages/${name}/dist was built`;
      throw new Error(
        `These tests read the built packages, and ${problem}. Nothing was tested. ` +
          'Run `npm run build` first (CI builds before it tests).',
      );
    }
  }
}

/** A temporary folder for the tarballs and the apps; the suite removes it when done. */
export function createWorkspace(): string {
  return mkdtempSync(join(tmpdir(), 'ssekit-packages-'));
}

/** Packs every package once into `workspace`; returns the tarball of each, by folder name. */
export function packAll(workspace: string): Record<(typeof PACKAGES)[number], string> {
  const destination = join(workspace, 'packed');
  mkdirSync(destination);
  const workspaces = PACKAGES.flatMap((name) => ['--workspace', `packages/${name}`]);
  const output = execFileSync(
    'npm',
    ['pack', '--json', '--silent', '--pack-destination', destination, ...workspaces],
    { cwd: root, encoding: 'utf8' },
  );
  const packed = JSON.parse(output) as Array<{ name: string; filename: string }>;
  const tarballOf = (name: string) => {
    const entry = packed.find((item) => item.name === `@ssekit/${name}`);
    if (entry === undefined) throw new Error(`npm pack did not pack @ssekit/${name}`);
    return join(destination, entry.filename);
  };
  return Object.fromEntries(PACKAGES.map((name) => [name, tarballOf(name)])) as Record<
    (typeof PACKAGES)[number],
    string
  >;
}

function unpack(tarball: string, nodeModules: string, name: string): void {
  const target = join(nodeModules, '@ssekit', name);
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
}

/**
 * A fresh app folder with the packed packages installed and the fixture's entry files in it.
 * With `ownCore`, each adapter also gets a copy of @ssekit/core of its own, as npm installs it
 * when the versions a user asked for do not dedupe.
 */
export function installApp(
  workspace: string,
  tarballs: ReturnType<typeof packAll>,
  ownCore: boolean,
): string {
  const app = join(workspace, ownCore ? 'app-with-core-per-adapter' : 'app');
  const nodeModules = join(app, 'node_modules');
  for (const name of PACKAGES) {
    unpack(tarballs[name], nodeModules, name);
    if (ownCore && name !== 'core') {
      unpack(tarballs.core, join(nodeModules, '@ssekit', name, 'node_modules'), 'core');
    }
  }
  for (const [name, folder] of Object.entries(LINKED)) {
    symlinkSync(join(root, 'node_modules', folder), join(nodeModules, name), 'dir');
  }
  for (const file of readdirSync(fixture)) copyFileSync(join(fixture, file), join(app, file));
  return app;
}
