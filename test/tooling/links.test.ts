/**
 * Every link in the READMEs and docs leads somewhere: relative links and links to our repository
 * name a file (and heading) that exists, web links are well-formed (they are not fetched), and a
 * package's README and docs link only to what its tarball ships, since that is all the npm page
 * and node_modules have.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLinks } from './support/links.js';
import { repositoryHome, root } from './support/repository.js';

/** Markdown files of `folder` (relative to the root); none when it does not exist. */
function markdownIn(folder: string): string[] {
  if (!existsSync(join(root, folder))) return [];
  return readdirSync(join(root, folder))
    .filter((file) => file.endsWith('.md'))
    .map((file) => (folder === '.' ? file : `${folder}/${file}`));
}

function subfolders(folder: string): string[] {
  return readdirSync(join(root, folder), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules')
    .map((entry) => `${folder}/${entry.name}`);
}

const documents = [
  ...markdownIn('.'),
  ...markdownIn('docs'),
  ...markdownIn('bench'),
  ...markdownIn('examples'),
  ...subfolders('examples').flatMap(markdownIn),
  ...subfolders('packages').flatMap((folder) => [
    ...markdownIn(folder),
    ...markdownIn(`${folder}/docs`),
  ]),
];

describe('links in the READMEs and docs', () => {
  it('reads the documents a newcomer reads', () => {
    expect(documents).toEqual(
      expect.arrayContaining(['README.md', 'packages/core/README.md', 'packages/core/docs/hub.md']),
    );
  });

  it.each(documents)('%s: every link resolves', (document) => {
    expect(brokenLinks(document)).toEqual([]);
  });
});

describe('the link checker', () => {
  const home = repositoryHome();
  const check = (document: string, markdown: string) => brokenLinks(document, markdown);

  it('accepts existing files, headings and well-formed web links', () => {
    const markdown = [
      '# Title',
      '## Which requests get a stream',
      '[up](#which-requests-get-a-stream) [docs](./docs/hub.md#slow-clients)',
      `[bench](${home}/blob/main/bench/RESULTS.md) [issues](${home}/issues)`,
      '[h3](https://h3.dev) `[code](nowhere.md)`',
      '```md',
      '[fenced](nowhere.md)',
      '```',
    ].join('\n');
    expect(check('packages/core/README.md', markdown)).toEqual([]);
  });

  it('flags a missing file, a missing heading, a link out of the tarball and a malformed URL', () => {
    const markdown = [
      '[a](./nowhere.md) [b](#nowhere) [c](../../bench/RESULTS.md)',
      `[d](../core/README.md#nowhere) [e](https://no-host) [f](${home}/blob/main/nowhere.md)`,
      `[g](${home}/blob/dev/README.md)`,
    ].join('\n');
    const problems = check('packages/express/README.md', markdown);
    expect(problems).toEqual([
      expect.stringMatching(/^\.\/nowhere\.md: .* does not ship packages\/express\/nowhere\.md/),
      expect.stringMatching(/^#nowhere: .* has no such heading/),
      expect.stringContaining(`link ${home}/blob/main/bench/RESULTS.md instead`),
      expect.stringMatching(/^\.\.\/core\/README\.md#nowhere: .* does not ship/),
      'https://no-host: not a well-formed URL',
      `${home}/blob/main/nowhere.md: nowhere.md does not exist`,
      `${home}/blob/dev/README.md: points at the branch "dev"; the docs link main`,
    ]);
    expect(check('README.md', '[x](packages/core/README.md#nowhere)')).toEqual([
      'packages/core/README.md#nowhere: packages/core/README.md has no heading for #nowhere',
    ]);
  });
});
