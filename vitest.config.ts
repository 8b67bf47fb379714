import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@ssekit\/core\/node$/, replacement: source('./packages/core/src/node/index.ts') },
      { find: /^@ssekit\/core$/, replacement: source('./packages/core/src/index.ts') },
      { find: /^@ssekit\/express$/, replacement: source('./packages/express/src/index.ts') },
      { find: /^@ssekit\/koa$/, replacement: source('./packages/koa/src/index.ts') },
      { find: /^@ssekit\/fastify$/, replacement: source('./packages/fastify/src/index.ts') },
      { find: /^@ssekit\/h3$/, replacement: source('./packages/h3/src/index.ts') },
      { find: /^@ssekit\/redis$/, replacement: source('./packages/redis/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    typecheck: {
      enabled: true,
      include: ['packages/*/src/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
      // CI runs tsc over the whole tree; here only the type tests count.
      ignoreSourceErrors: true,
    },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
