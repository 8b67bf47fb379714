/**
 * A copy of the repository as a fresh clone has it after `npm install` with scripts off: sources,
 * build settings, the example scripts and one example, no dist. Its node_modules links to the
 * repository's, except `@ssekit/*`, which link to the copy's own packages (as npm's workspace
 * links do), so that what the copy builds is what its example loads.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SHARED_FILES = [
  'package.json',
  'tsconfig.json',
  'tsconfig.base.json',
  'tsup.shared.ts',
  'examples/run.mjs',
  'scripts/ensure-built.mjs',
];
const PACKAGE_FILES = ['package.json', 'tsup.config.ts', 'src'];

/** Makes the copy with `example` in it; returns its root folder (the caller removes it). */
export function freshClone(example: string): string {
  const clone = mkdtempSync(join(tmpdir(), 'ssekit-fresh-clone-'));
  const copy = (path: string) => cpSync(join(root, path), join(clone, path), { recursive: true });
  for (const file of SHARED_FILES) copy(file);
  copy(`examples/${example}`);
  const modules = join(clone, 'node_modules');
  mkdirSync(join(modules, '@ssekit'), { recursive: true });
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry !== '@ssekit') symlinkSync(join(root, 'node_modules', entry), join(modules, entry));
  }
  for (const name of readdirSync(join(root, 'packages'))) {
    for (const file of PACKAGE_FILES) copy(`packages/${name}/${file}`);
    symlinkSync(join(clone, 'packages', name), join(modules, '@ssekit', name));
  }
  return clone;
}
