import { defineConfig, type Options } from 'tsup';

/**
 * The build every ssekit package shares: ESM and CommonJS with matching declarations.
 * Node built-ins, sibling packages and the framework named in `external` stay imports.
 */
export function packageBuild(entry: Options['entry'], external: Array<string | RegExp> = []) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    external: [/^node:/, /^@ssekit\//, ...external],
    sourcemap: false,
    removeNodeProtocol: false,
  });
}
