/**
 * The doc snippets that are servers run, as a user runs them: each such ```ts block of the root
 * and package READMEs and of the docs (docs/, and each package's docs/) is written to a project
 * of its own (a temporary folder whose node_modules is the repository's, so `@ssekit/*` is the
 * build) and started with `node snippet.ts` (Node strips the types). The one change made is the port: 3000 becomes 0, so that the snippets run side by side,
 * and a preload (support/listen-probe.mjs) reports the port the server got. A client reads the
 * stream with fetch and eventsource-parser until a real event arrives (after a POST to the
 * snippet's own publish route, when it has one); then the process gets SIGTERM and must exit.
 * A snippet that is a fetch-style route module (it exports `GET`) is served by
 * `@hono/node-server` (support/serve-export.mjs), as a Hono user would.
 *
 * Every ```ts block of those files is a recipe (after `<!-- recipe: docs/recipes/… -->`, run by
 * test/reliability/wiring.test.ts or shutdown.test.ts) or is listed in
 * support/readme-snippets.ts, either run (with what its client asks and expects) or compiled
 * only, with the reason (test/docs/snippets.test.ts compiles them all): a new block fails the
 * first test here until it is listed.
 */

import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../packages/support/install.js';
import { deleteKeysUnder, redisIsAvailable } from '../redis/support/redis.js';
import { until } from '../support/wait.js';
import { read } from './support/read-events.js';
import {
  type Block,
  compiledOnly,
  redisPrefix,
  runnable,
  runs,
} from './support/readme-snippets.js';
import { cleanUpSnippets, startSnippet } from './support/snippet-process.js';
import { extractTypeScriptBlocks, type Snippet } from './support/snippets.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// The snippets load the built packages, as users do: a dist older than its sources tests nothing.
assertBuilt();
const redisAvailable =
  runs.some((run) => run.needsRedis) && (await redisIsAvailable('README snippets on Redis'));

afterAll(async () => {
  cleanUpSnippets();
  if (redisAvailable) await deleteKeysUnder(redisPrefix);
});

/** Every Markdown file of the docs: the README, docs/, and each package's README and docs/. */
const markdownFiles = ['README.md', 'docs', 'packages'].flatMap((path) =>
  path.endsWith('.md')
    ? [path]
    : readdirSync(join(root, path), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.md') && !file.includes('node_modules'))
        .map((file) => join(path, file)),
);

function blocksOf(markdown: string): Snippet[] {
  return extractTypeScriptBlocks(markdown, readFileSync(join(root, markdown), 'utf8'));
}

/** The one block `block` names; throws when none or several match. */
function find(block: Block): Snippet {
  const found = blocksOf(block.markdown).filter((snippet) => snippet.code.includes(block.contains));
  if (found.length !== 1) {
    throw new Error(
      `${found.length} blocks of ${block.markdown} contain ${JSON.stringify(block.contains)}`,
    );
  }
  return found[0] as Snippet;
}

/**
 * Whether the block is a recipe: printed after `<!-- recipe: docs/recipes/… -->`, verbatim
 * (test/docs/recipes.test.ts), and run by test/reliability/wiring.test.ts or shutdown.test.ts.
 */
function isRecipe(snippet: Snippet): boolean {
  const lines = readFileSync(join(root, snippet.markdown), 'utf8').split('\n');
  // firstLine is 1-based and follows the fence: the line before the fence is firstLine - 3.
  return /^<!-- recipe: docs\/recipes\/\S+ -->$/.test(lines[snippet.firstLine - 3] ?? '');
}

it('lists every ```ts block of the docs that is not a recipe, as run or as compiled only with a reason', () => {
  const listed = new Set([...runs, ...compiledOnly].map((block) => find(block)).map(where));
  const unlisted = markdownFiles
    .flatMap(blocksOf)
    .filter((snippet) => !isRecipe(snippet))
    .map(where)
    .filter((block) => !listed.has(block));
  expect(unlisted).toEqual([]);
});

it('says, on each ```ts fragment of the docs, why it is not a whole program', () => {
  const fragments = markdownFiles.flatMap((markdown) =>
    [
      ...readFileSync(join(root, markdown), 'utf8').matchAll(
        /^\s*```(?:ts|typescript) fragment(.*)$/gm,
      ),
    ].map(([, why]) => ({ markdown, why })),
  );
  expect(fragments.length).toBeGreaterThan(0);
  expect(fragments.filter(({ why }) => !/^: \S/.test(why as string))).toEqual([]);
});

function where(snippet: Snippet): string {
  return `${snippet.markdown}:${snippet.firstLine}`;
}

describe.concurrent('README snippets, run', () => {
  for (const run of runs) {
    it(`${run.markdown}: ${run.path} (${run.contains.split('\n')[0]})`, async ({ skip }) => {
      if (run.needsRedis && !redisAvailable) skip('Redis is unreachable');
      const { child, origin, stderr, stdout } = await startSnippet(
        runnable(run, find(run).code),
        run.kind,
      );
      const reading = read(`${origin}${run.path}`, run.headers ?? {});
      const response = await reading.response;
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      if (run.publish !== undefined) {
        // The stream is open (its headers came): what is published now reaches it.
        const published = await fetch(`${origin}${run.publish.path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(run.publish.body),
        });
        expect(published.status).toBe(200);
      }
      const got = () => `got ${JSON.stringify(reading.events)}; stderr: ${stderr()}`;
      /** Fails the wait at once when the snippet's process died. */
      const alive = (condition: () => boolean) => () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`the snippet exited (${child.exitCode ?? child.signalCode}): ${got()}`);
        }
        return condition();
      };
      if (run.endsWithRetry) {
        await until(alive(reading.ended), () => `the stream to end by itself (${got()})`, 15_000);
        expect(reading.retries.length, 'a retry at the end').toBeGreaterThanOrEqual(2);
      } else {
        const wanted = () =>
          reading.events.find((event) => (event.event ?? 'message') === run.event);
        await until(
          alive(() => wanted() !== undefined),
          () => `a ${run.event} event (${got()})`,
          15_000,
        );
        if (run.data !== undefined) {
          const ofType = reading.events.filter((event) => (event.event ?? 'message') === run.event);
          expect(ofType.map((event) => event.data)).toEqual(ofType.map(() => run.data));
        }
        if (run.publish !== undefined) {
          expect(JSON.parse(wanted()?.data ?? '')).toEqual(run.publish.body);
        }
      }
      await reading.stop();
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect(await exited).toEqual([null, 'SIGTERM']);
      expect(stderr(), stdout()).toBe('');
    }, 60_000);
  }
});
