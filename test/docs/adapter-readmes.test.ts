/**
 * The framework adapters' READMEs share one layout, so a user who knows one finds the same
 * things in the same place in the others: Install, Use, Options, Errors, Performance, Migration.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const LAYOUT = ['Install', 'Use', 'Options', 'Errors', 'Performance', 'Migration'];
const ADAPTERS = ['express', 'koa', 'fastify', 'h3'];

it.each(ADAPTERS)('the @ssekit/%s README has the adapters’ layout', (name) => {
  const readme = readFileSync(
    fileURLToPath(new URL(`../../packages/${name}/README.md`, import.meta.url)),
    'utf8',
  );
  const sections = [...readme.matchAll(/^## (.+)$/gm)].map(([, title]) => title);
  expect(sections).toEqual(LAYOUT);
});
