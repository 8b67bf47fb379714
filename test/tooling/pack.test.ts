/**
 * What each package would publish, by `npm pack --dry-run`: the build (ESM, CommonJS and the
 * declarations of each), README, LICENSE and package.json; every file package.json points to;
 * no tests, no sources, no source map that names a file the tarball lacks. Needs `npm run build`
 * first and says so.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Manifest, publishedPackages, root } from './support/repository.js';

const packages = publishedPackages();

/** The files of each package's tarball, by package folder. */
const tarballs = new Map<string, string[]>();

beforeAll(() => {
  const output = execFileSync(
    'npm',
    ['pack', '--dry-run', '--json', ...packages.flatMap(({ folder }) => ['--workspace', folder])],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const packed = JSON.parse(output) as Array<{ name: string; files: Array<{ path: string }> }>;
  for (const { folder, manifest } of packages) {
    const files = packed.find(({ name }) => name === manifest.name)?.files.map(({ path }) => path);
    if (files === undefined) throw new Error(`npm pack did not pack ${manifest.name}`);
    if (!files.some((file) => file.startsWith('dist/'))) {
      throw new Error(
        `${folder} has no dist to pack. Nothing was checked. Run \`npm run build\` first.`,
      );
    }
    tarballs.set(folder, files);
  }
}, 60_000);

/** Every path a package.json field points to (main, module, types, typesVersions, exports). */
function pointedTo(manifest: Manifest): string[] {
  const strings = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : typeof value === 'object' && value !== null
        ? Object.values(value).flatMap(strings)
        : [];
  return [manifest.main, manifest.module, manifest.types, manifest.typesVersions, manifest.exports]
    .flatMap(strings)
    .map((path) => posix.normalize(path));
}

/** The sources a source map names, relative to the package folder. */
function sourcesOfMap(folder: string, map: string): string[] {
  const { sources = [], sourceRoot = '' } = JSON.parse(
    readFileSync(join(root, folder, map), 'utf8'),
  ) as { sources?: string[]; sourceRoot?: string };
  return sources.map((source) => posix.join(dirname(map), sourceRoot, source));
}

describe.each(packages)('the $manifest.name tarball', ({ folder, manifest }) => {
  const files = () => tarballs.get(folder) ?? [];

  it('holds the build, README, LICENSE and package.json, and nothing else', () => {
    const docs = manifest.files?.includes('docs') ? '|docs/[^/]+\\.md' : '';
    const expected = new RegExp(
      `^(package\\.json|README\\.md|LICENSE|dist/.+\\.(js|cjs|d\\.ts|d\\.cts|js\\.map|cjs\\.map)${docs})$`,
    );
    expect(files().filter((file) => !expected.test(file))).toEqual([]);
    expect(
      files().filter((file) => /(^|\/)(src|test|tests)\/|\.test(-d)?\.|\.spec\./.test(file)),
    ).toEqual([]);
    expect(files()).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
  });

  it('has ESM, CommonJS and the declarations of each, as package.json points to them', () => {
    for (const extension of ['.js', '.cjs', '.d.ts', '.d.cts']) {
      expect(files().some((file) => file.startsWith('dist/') && file.endsWith(extension))).toBe(
        true,
      );
    }
    const pointed = pointedTo(manifest).filter((path) => path !== 'package.json');
    expect(pointed.length).toBeGreaterThan(0);
    expect(pointed.filter((path) => !files().includes(path))).toEqual([]);
  });

  it('has no source map that names a file it lacks', () => {
    const missing: string[] = [];
    for (const file of files().filter((path) => /\.(c?js|d\.c?ts)$/.test(path))) {
      const url = /[#@] sourceMappingURL=(\S+)\s*$/.exec(
        readFileSync(join(root, folder, file), 'utf8'),
      )?.[1];
      if (url === undefined || url.startsWith('data:')) continue;
      const map = posix.join(dirname(file), url);
      if (!files().includes(map)) missing.push(`${file} -> ${map}`);
    }
    for (const map of files().filter((path) => path.endsWith('.map'))) {
      for (const source of sourcesOfMap(folder, map)) {
        if (!files().includes(source)) missing.push(`${map} -> ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
