/**
 * tsup turns the split ESM chunks into CommonJS with a rewrite that, for an exported name, also
 * rewrites assignments to a private field of the same name: `this.#closedListener = listener`
 * became `this.#closedListener = exports.closedListener = listener`, which replaced the exported
 * symbol with the listener, so every hub subscription from CommonJS threw. The behaviour tests of
 * test/packages caught that one; this check catches the pattern wherever it appears in a build.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt } from '../packages/support/install.js';
import { publishedPackages, root } from './support/repository.js';

/** An assignment to a field (private or not) chained into an assignment to an export. */
const FIELD_WRITTEN_TO_EXPORT = /this\.#?[\w$]+\s*=\s*exports\.[\w$]+\s*=/g;

function builtCommonJs(): string[] {
  return publishedPackages().flatMap(({ folder }) => {
    const dist = join(root, folder, 'dist');
    return readdirSync(dist, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.cjs'))
      .map((file) => join(dist, file));
  });
}

describe('the CommonJS build', () => {
  it('never writes a field into an export', () => {
    assertBuilt();
    const files = builtCommonJs();
    expect(files.length).toBeGreaterThan(0);
    const found = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(FIELD_WRITTEN_TO_EXPORT)].map(
        (match) => `${file.slice(root.length)}: ${match[0]}`,
      ),
    );
    expect(found).toEqual([]);
  });
});
