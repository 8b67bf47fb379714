/**
 * Every TypeScript block of the documentation compiles under strict TypeScript against the
 * packages, as a user would paste it: the README, every package's README and docs folder, and
 * docs/. Each ```ts (or ```typescript) block is one module of its own; a block that shows only
 * part of a program (it uses names from the text around it) is fenced ```ts fragment and left
 * out. A failure names the Markdown file and line. Both compilers users have run: TypeScript 7
 * (the `typescript7` package) and 5.9 (`typescript`). The servers among these blocks also run:
 * snippets-run.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';
import { extractTypeScriptBlocks, type Snippet } from './support/snippets.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function markdownFiles(): string[] {
  const files = [join(root, 'README.md')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk(join(root, 'docs'));
  for (const name of readdirSync(join(root, 'packages'))) {
    files.push(join(root, 'packages', name, 'README.md'));
    try {
      walk(join(root, 'packages', name, 'docs'));
    } catch {
      // a package without docs/
    }
  }
  return files.filter((file) => {
    try {
      readFileSync(file);
      return true;
    } catch {
      return false;
    }
  });
}

// Inside the repository, so that the snippets' imports of express, koa, h3… resolve from its
// node_modules like a user's would.
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
const workDir = mkdtempSync(join(root, 'node_modules/.cache/ssekit-snippets-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/**
 * The `@ssekit/*` paths of the repository's tsconfig.json, made absolute: the snippets see the
 * packages' sources, as the rest of the tree does.
 */
function packagePaths(): Record<string, string[]> {
  const config = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  return Object.fromEntries(
    Object.entries(config.compilerOptions.paths).map(([name, targets]) => [
      name,
      targets.map((target) => join(root, target)),
    ]),
  );
}

/**
 * What a user's tsconfig.json needs for these snippets, under either compiler: strict, NodeNext,
 * and `types: ["node"]`, which TypeScript 7 no longer implies for an installed `@types/node`.
 */
const userOptions = {
  target: 'ES2022',
  lib: ['ES2022', 'DOM', 'DOM.Iterable'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  moduleDetection: 'force',
  strict: true,
  noEmit: true,
  esModuleInterop: true,
  skipLibCheck: true,
  types: ['node'],
};

const runtimeGlobals = fileURLToPath(new URL('./support/runtime-globals.d.ts', import.meta.url));

/** Every snippet as a file of its own in `workDir`, by file name. */
function writeSnippets(): Map<string, Snippet> {
  const snippets: Snippet[] = markdownFiles().flatMap((file) =>
    extractTypeScriptBlocks(relative(root, file), readFileSync(file, 'utf8')),
  );
  expect(snippets.length).toBeGreaterThan(10);
  const byFile = new Map<string, Snippet>();
  snippets.forEach((snippet, index) => {
    const file = join(workDir, `snippet-${index}.ts`);
    writeFileSync(file, snippet.code);
    byFile.set(file, snippet);
  });
  return byFile;
}

it('compiles every TypeScript block of the docs under strict TypeScript 5.9', () => {
  const byFile = writeSnippets();
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    { ...userOptions, paths: packagePaths() },
    workDir,
  );
  expect(errors).toEqual([]);
  const program = ts.createProgram([...byFile.keys(), runtimeGlobals], options);
  const failures = ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file !== undefined && byFile.has(diagnostic.file.fileName))
    .map((diagnostic) => {
      const file = diagnostic.file as ts.SourceFile;
      const snippet = byFile.get(file.fileName) as Snippet;
      const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      return `${snippet.markdown}:${snippet.firstLine + line}: ${message}`;
    });
  expect(failures).toEqual([]);
}, 120_000);

it('compiles every TypeScript block of the docs under strict TypeScript 7', () => {
  const byFile = writeSnippets();
  const project = join(workDir, 'tsconfig.json');
  writeFileSync(
    project,
    JSON.stringify({
      compilerOptions: { ...userOptions, paths: packagePaths() },
      files: [...byFile.keys(), runtimeGlobals],
    }),
  );
  const compiler = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript7/bin/tsc'), '-p', project, '--pretty', 'false'],
    { cwd: root, encoding: 'utf8' },
  );
  const diagnostics = `${compiler.stdout}${compiler.stderr}`;
  const failures = [...diagnostics.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+: .*)$/gm)]
    .filter(([, file]) => byFile.has(resolve(root, file as string)))
    .map(([, file, line, message]) => {
      const snippet = byFile.get(resolve(root, file as string)) as Snippet;
      return `${snippet.markdown}:${snippet.firstLine + Number(line) - 1}: ${message}`;
    });
  expect(failures).toEqual([]);
  // Any other error (a broken tsconfig, a missing compiler) fails too, with its text.
  expect(compiler.status === 0 ? '' : diagnostics).toBe('');
}, 120_000);
