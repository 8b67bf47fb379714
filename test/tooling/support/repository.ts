/**
 * The repository as the tooling tests see it: where it is on disk, where it lives on GitHub
 * (read from the root package.json, the one place that says so), and which of its packages are
 * published.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A package.json, as far as these tests read it. */
export interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  files?: string[];
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  [field: string]: unknown;
}

export function readManifest(folder: string): Manifest {
  return JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as Manifest;
}

/** The repository's web address, e.g. `https://github.com/owner/name`, from the root package.json. */
export function repositoryHome(): string {
  const url = readManifest('.').repository?.url;
  if (url === undefined) throw new Error('The root package.json has no repository.url.');
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}

/** A published package: its folder (`packages/core`) and its package.json. */
export interface PublishedPackage {
  folder: string;
  manifest: Manifest;
}

/** Every package under packages/ that is not private, found on disk rather than listed. */
export function publishedPackages(): PublishedPackage[] {
  return readdirSync(join(root, 'packages'))
    .map((name) => `packages/${name}`)
    .filter((folder) => existsSync(join(root, folder, 'package.json')))
    .map((folder) => ({ folder, manifest: readManifest(folder) }))
    .filter(({ manifest }) => manifest.private !== true);
}

/**
 * Whether `path` (relative to the package folder) is in the package's tarball by its `files`
 * list; npm always adds package.json, README and LICENSE.
 */
export function isShipped(manifest: Manifest, path: string): boolean {
  const always = ['package.json', 'README.md', 'LICENSE'];
  const entries = [...always, ...(manifest.files ?? [])].map((entry) =>
    entry.replace(/^\.\//, '').replace(/\/$/, ''),
  );
  return entries.some((entry) => path === entry || path.startsWith(`${entry}/`));
}
