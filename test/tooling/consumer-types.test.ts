/**
 * The published declarations compile for users on TypeScript 7 and on 5.9: a small consumer
 * imports every entry of every package (each `exports` subpath) from its built `dist`, as ESM
 * (`.d.ts`) and as CommonJS (`.d.cts`), under `node16`, `nodenext` and `bundler` resolution,
 * with `skipLibCheck` off so that our declarations themselves are checked. Needs `npm run build`
 * first and says so.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { publishedPackages, root } from './support/repository.js';

const run = promisify(execFile);

/** Errors in our declarations or in the consumer; the peers' own declarations are theirs. */
const ours = (path: string) => /^consumer\.|(^|\/)packages\/[^/]+\/dist\//.test(path);

/**
 * TypeScript 7 (the native one) by its command line: it reports every file's errors, and the
 * lines about ours are kept.
 */
async function errorsFromTypeScript7(tsconfig: string): Promise<string[]> {
  const bin = join(root, 'node_modules/typescript7/bin/tsc');
  const output = await run(process.execPath, [bin, '-p', tsconfig], { cwd: workDir }).then(
    () => '',
    (error: { stdout?: string; stderr?: string }) =>
      // A compiler that failed without naming a file (it crashed, it is missing) fails too.
      error.stdout || `TypeScript 7 failed: ${error.stderr || String(error)}`,
  );
  return output.split('\n').filter((line) => ours(line) || line.startsWith('TypeScript 7 failed'));
}

/**
 * TypeScript 5.9, the last in JavaScript, through its API in this process: the same program as
 * `tsc -p`, but only our files are checked, with the peers' files that declare an interface ours
 * merge with (checking those finds errors of the merge that are reported in our file), not every
 * peer declaration, whose errors would be dropped anyway: that checking was most of the time.
 */
function errorsFromTypeScript5(tsconfig: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error(`TypeScript 5.9 could not read ${tsconfig}`);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const isOurs = (file: ts.SourceFile) => ours(relative(workDir, file.fileName));
  const ourFiles = program.getSourceFiles().filter(isOurs);
  const peersMerged = mergedWith(program, ourFiles).filter((file) => !isOurs(file));
  const diagnostics = [
    ...config.errors,
    ...program.getOptionsDiagnostics(),
    // The peers first: what checking them finds in our files is then reported with ours.
    ...[...peersMerged, ...ourFiles].flatMap((file) => [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
    ]),
    ...program.getGlobalDiagnostics(),
  ].filter((diagnostic) => diagnostic.file === undefined || isOurs(diagnostic.file));
  return diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (diagnostic.file === undefined) return `TS${diagnostic.code}: ${message}`;
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(
      diagnostic.start ?? 0,
    );
    const file = relative(workDir, diagnostic.file.fileName);
    return `${file}(${line + 1},${character + 1}): error TS${diagnostic.code}: ${message}`;
  });
}

/** The files declaring an interface that one declared in `files` merges with, `files` included. */
function mergedWith(program: ts.Program, files: readonly ts.SourceFile[]): ts.SourceFile[] {
  const checker = program.getTypeChecker();
  const found = new Set<ts.SourceFile>();
  const visit = (node: ts.Node) => {
    if (ts.isInterfaceDeclaration(node)) {
      for (const declaration of checker.getSymbolAtLocation(node.name)?.declarations ?? []) {
        found.add(declaration.getSourceFile());
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const file of files) visit(file);
  return [...found];
}

/** The compilers a user may have. */
const compilers = [
  { name: 'TypeScript 7', tag: 7, errors: errorsFromTypeScript7 },
  { name: 'TypeScript 5.9', tag: 5, errors: errorsFromTypeScript5 },
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

describe.each(compilers)('$name', ({ tag: compiler, errors }) => {
  it.each(projects)(
    'compiles a $file consumer of every entry under $moduleResolution resolution',
    async (project) => {
      const tag = `consumer.${compiler}.${project.moduleResolution}`;
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
      expect(await errors(tsconfig)).toEqual([]);
    },
    120_000,
  );
});
