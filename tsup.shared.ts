import { defineConfig, type Options } from 'tsup';

/**
 * The build every ssekit package shares: ESM and CommonJS with matching declarations.
 * Node built-ins, sibling packages and the framework named in `external` stay imports.
 * `splitting` is on for CommonJS too (tsup leaves it off there by default): code that two
 * entries share goes to one chunk, so `@ssekit/core` and `@ssekit/core/node` load the same
 * classes and module state (one heartbeat ticker) whichever format the user loads.
 */
export function packageBuild(entry: Options['entry'], external: Array<string | RegExp> = []) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    splitting: true,
    target: 'es2022',
    platform: 'neutral',
    external: [/^node:/, /^@ssekit\//, ...external],
    sourcemap: false,
    removeNodeProtocol: false,
  });
}
