/**
 * The published declarations compile for users on TypeScript 7 and on 5.9: a small consumer
 * imports every entry of every package (each `exports` subpath) from its built `dist`, as ESM
 * (`.d.ts`) and as CommonJS (`.d.cts`), under `node16`, `nodenext` and `bundler` resolution,
 * with `skipLibCheck` off so that our declarations themselves are checked. Needs `npm run build`
 * first and says so.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { publishedPackages, root } from './support/repository.js';

const run = promisify(execFile);

/** The compilers a user may have: TypeScript 7 (the native one) and 5.9, the last in JavaScript. */
const compilers = [
  { name: 'TypeScript 7', bin: join(root, 'node_modules/typescript7/bin/tsc') },
  { name: 'TypeScript 5.9', bin: join(root, 'node_modules/typescript/bin/tsc') },
];

/**
 * How a user's project may resolve packages, and its consumer: ESM (`.mts`, `.ts`) and CommonJS
 * (`.cts`) are separate programs, as they are in a user's project, since a program that loads
 * both the `.d.ts` and the `.d.cts` of a package meets each module augmentation twice.
 */
const projects = [
  { module: 'node16', moduleResolution: 'node16', file: 'consumer.mts' },
  { module: 'node16', moduleResolution: 'node16', file: 'consumer.cts' },
  { module: 'nodenext', moduleResolution: 'nodenext', file: 'consumer.mts' },
  { module: 'nodenext', moduleResolution: 'nodenext', file: 'consumer.cts' },
  { module: 'esnext', moduleResolution: 'bundler', file: 'consumer.ts' },
];

/**
 * Entries a project cannot import, and why. h3 2 publishes ESM only: TypeScript's node16 mode
 * has CommonJS files refuse to require an ES module (nodenext, like Node 22.12+, allows it).
 */
const notImportable = (specifier: string, project: (typeof projects)[number]) =>
  specifier === '@ssekit/h3' &&
  project.moduleResolution === 'node16' &&
  project.file.endsWith('.cts');

/** Errors in our declarations or in the consumer; the peers' own declarations are theirs. */
const ours = (line: string) => /^consumer\.|(^|\/)packages\/[^/]+\/dist\//.test(line);

/** Every import specifier the packages publish: `@ssekit/core`, `@ssekit/core/node`, … */
function specifiers(): string[] {
  return publishedPackages().flatMap(({ folder, manifest }) => {
    const exports = (manifest.exports ?? {}) as Record<string, unknown>;
    const subpaths = Object.keys(exports).filter((subpath) => subpath !== './package.json');
    if (!existsSync(join(root, folder, 'dist'))) {
      throw new Error(
        `${folder} has no dist, so its declarations were not checked. Run \`npm run build\` first.`,
      );
    }
    return subpaths.map((subpath) => manifest.name + subpath.slice(1));
  });
}

// Inside the repository, so that @ssekit/* resolve through the workspace links to each
// package's exports (its dist), and their peers from its node_modules, like a user's would.
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
const workDir = mkdtempSync(join(root, 'node_modules/.cache/ssekit-consumer-types-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const names = specifiers();

/** Writes the consumer of every entry the project can import, in the project's format. */
function writeConsumer(project: (typeof projects)[number], tag: string): string {
  const entries = names.filter((name) => !notImportable(name, project));
  const imports = entries.map((name, index) =>
    project.file.endsWith('.cts')
      ? `import entry${index} = require('${name}');`
      : `import * as entry${index} from '${name}';`,
  );
  const file = `${tag}.${project.file}`;
  const uses = `export const entries = [${entries.map((_, index) => `entry${index}`).join(', ')}];`;
  writeFileSync(join(workDir, file), `${imports.join('\n')}\n${uses}\n`);
  return file;
}

describe.each(compilers)('$name', ({ bin }) => {
  it.each(projects)(
    'compiles a $file consumer of every entry under $moduleResolution resolution',
    async (project) => {
      const tag = `consumer.${bin.includes('typescript7') ? 7 : 5}.${project.moduleResolution}`;
      const file = writeConsumer(project, tag);
      const tsconfig = join(workDir, `${file}.tsconfig.json`);
      writeFileSync(
        tsconfig,
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2022', 'DOM'],
            module: project.module,
            moduleResolution: project.moduleResolution,
            strict: true,
            noEmit: true,
            // Off, so that our declarations are checked; the peers' errors are filtered out.
            skipLibCheck: false,
            // TypeScript's own lib files are not ours, and their errors would be filtered out
            // like the peers': checking them (lib.dom.d.ts above all) was a third of the time.
            skipDefaultLibCheck: true,
            // TypeScript 7 no longer loads every @types package: a user adds what they use.
            types: ['node'],
          },
          files: [file],
        }),
      );
      const output = await run(process.execPath, [bin, '-p', tsconfig], { cwd: workDir }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(output.split('\n').filter(ours)).toEqual([]);
    },
    120_000,
  );
});
