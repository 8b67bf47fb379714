import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { LongestFirst } from './test/support/longest-first.js';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * One project per area, so that `npm test -- --project <name>` runs one of them: `unit` (the
 * tests beside the sources, and the type tests), `examples`, and each folder of test/ by its
 * name (a new folder is a new project). Every test binds port 0 (its own redis-servers take a
 * free port below the kernel's ephemeral range: test/redis/support/private-redis.ts) and keeps
 * its Redis keys under a random prefix, so the files of every area, reliability included, run
 * side by side, six at a time, the longest first (test/support/longest-first.ts): no area waits
 * for another to end. The reliability files measure their own process (heap, handles, sockets
 * held), not time (the one bound they hold, a graceful shutdown within 5 s, is far above what it
 * takes), so a neighbour file in another process slows them without changing what they assert.
 */
const testAreas = readdirSync(source('./test'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'support')
  .map((entry) => entry.name);

/**
 * Areas whose files may share a worker process, one file after another, instead of each file
 * starting its own (about 0.4 s of CPU a file): they run compilers and packed packages in child
 * processes and assert nothing about the process they run in. The other areas stay isolated:
 * the core's heartbeat registry is state of the module, which unit and example files assert
 * empty after each test (a neighbour file's stream left open failed packages/core/src/pipe.test.ts
 * when `unit` shared workers); `hub`, `redis` and `reliability` files measure their process's
 * heap, handles and sockets; the rest time cleanups in milliseconds.
 */
const shareWorkers = new Set(['docs', 'packages', 'tooling']);

/**
 * Areas whose files run in worker threads (a fresh one per file) instead of processes: a thread
 * starts for less CPU than a process, and these files assert nothing of the process (heap,
 * handles, sockets held); the module state they check, such as the heartbeat registry, is each
 * thread's own. The areas that serve many sockets and drive browsers took more CPU in threads.
 */
const inThreads = new Set(['unit', 'examples']);
const poolFor = (name: string) => (inThreads.has(name) ? { pool: 'threads' as const } : {});

const project = (name: string, include: string[]): TestProjectInlineConfiguration => ({
  extends: true,
  test: {
    name,
    include,
    isolate: !shareWorkers.has(name),
    ...poolFor(name),
  },
});

export default defineConfig({
  resolve: {
    alias: [
      // Each subpath before the root: `^@ssekit\/core$` is anchored, but an unanchored or
      // prefix alias for the root placed first would swallow `@ssekit/core/broker`.
      { find: /^@ssekit\/core\/node$/, replacement: source('./packages/core/src/node/index.ts') },
      { find: /^@ssekit\/core\/broker$/, replacement: source('./packages/core/src/broker.ts') },
      { find: /^@ssekit\/core\/adapter$/, replacement: source('./packages/core/src/adapter.ts') },
      { find: /^@ssekit\/core$/, replacement: source('./packages/core/src/index.ts') },
      { find: /^@ssekit\/express$/, replacement: source('./packages/express/src/index.ts') },
      { find: /^@ssekit\/koa$/, replacement: source('./packages/koa/src/index.ts') },
      { find: /^@ssekit\/fastify$/, replacement: source('./packages/fastify/src/index.ts') },
      { find: /^@ssekit\/h3$/, replacement: source('./packages/h3/src/index.ts') },
      { find: /^@ssekit\/redis$/, replacement: source('./packages/redis/src/index.ts') },
      { find: /^@ssekit\/client\/tabs$/, replacement: source('./packages/client/src/tabs.ts') },
      { find: /^@ssekit\/client$/, replacement: source('./packages/client/src/index.ts') },
    ],
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          ...poolFor('unit'),
          typecheck: {
            enabled: true,
            include: ['packages/*/src/**/*.test-d.ts'],
            // The type tests and what they import, not the whole tree: a cold check of the
            // whole tree (a fresh clone, another checkout's incremental state) took most of
            // the project's CPU time for errors that are then ignored.
            tsconfig: './tsconfig.typetests.json',
            // TypeScript 7, by path: the `typescript` package stays 5.9 for tsup's declaration
            // build, which needs the compiler API that TypeScript 7 does not ship.
            checker: source('./node_modules/typescript7/bin/tsc'),
            // CI runs tsc over the whole tree; here only the type tests count.
            ignoreSourceErrors: true,
          },
        },
      },
      project('examples', ['examples/*/test/**/*.test.ts']),
      ...testAreas.map((area) => project(area, [`test/${area}/**/*.test.ts`])),
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most long files wait (on Redis failovers, browsers, runtimes' idle timeouts, clients that
    // stall) more than they compute, so six at a time keep both cores busy (the figures are in
    // the README, "Working on ssekit"); Vitest's default (one fewer than the cores) would run
    // one file at a time here.
    maxWorkers: 6,
    sequence: { sequencer: LongestFirst },
  },
});
