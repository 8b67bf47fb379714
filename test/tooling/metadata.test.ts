/**
 * What the npm page shows beside a package: its license (the LICENSE file, shipped), and where
 * its source, home page and issue tracker are. Every published package says the same as the
 * root package.json, plus the folder it lives in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedPackages, readManifest, repositoryHome, root } from './support/repository.js';

const license = readFileSync(join(root, 'LICENSE'), 'utf8');
const rootRepository = readManifest('.').repository;
const home = repositoryHome();

describe('the root package.json and LICENSE', () => {
  it('name the repository on GitHub and the MIT license', () => {
    expect(rootRepository).toEqual({ type: 'git', url: `git+${home}.git` });
    expect(home).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
    expect(readManifest('.').license).toBe('MIT');
  });
});

describe.each(publishedPackages())('$folder', ({ folder, manifest }) => {
  it('ships the root LICENSE', () => {
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(root, folder, 'LICENSE'), 'utf8')).toBe(license);
    expect(manifest.files).toContain('LICENSE');
  });

  it('says where its source, home page and issue tracker are', () => {
    expect(manifest.repository).toEqual({ ...rootRepository, directory: folder });
    expect(manifest.homepage).toBe(`${home}/tree/main/${folder}#readme`);
    expect(manifest.bugs).toEqual({ url: `${home}/issues` });
  });
});
