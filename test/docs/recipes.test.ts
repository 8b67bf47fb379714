/**
 * The recipes the docs print are the files the tests run: every file under docs/recipes/ appears
 * in the docs verbatim, as the ```ts block right after a `<!-- recipe: <path> -->` marker, and
 * every marker names a recipe file. So a recipe cannot drift from the code its test runs
 * (test/reliability/shutdown.test.ts, test/reliability/wiring.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

const markdown = ['README.md', ...filesUnder('docs', '.md')];
const MARKER = /<!-- recipe: (\S+) -->\n```ts\n([\s\S]*?)```\n/g;

it('prints every recipe of docs/recipes verbatim, after a marker naming it', () => {
  const printed = new Map<string, string>();
  for (const file of markdown) {
    for (const [, path, code] of readFileSync(join(root, file), 'utf8').matchAll(MARKER)) {
      printed.set(path as string, code as string);
    }
  }
  const recipes = filesUnder('docs/recipes', '.ts');
  expect(recipes.length).toBeGreaterThan(5);
  expect([...printed.keys()].sort()).toEqual([...recipes].sort());
  for (const recipe of recipes) {
    expect(printed.get(recipe), recipe).toBe(readFileSync(join(root, recipe), 'utf8'));
  }
});
