/**
 * Every TypeScript block of the documentation compiles under strict TypeScript against the
 * packages, as a user would paste it: the README, every package's README and docs folder, and
 * docs/. Each ```ts (or ```typescript) block is one module of its own; a block that shows only
 * part of a program (it uses names from the text around it) is fenced ```ts fragment and left
 * out. A failure names the Markdown file and line.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
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

const source = (path: string) => join(root, 'packages', path);

it('compiles every TypeScript block of the docs under strict TypeScript', () => {
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
  const runtimeGlobals = fileURLToPath(new URL('./support/runtime-globals.d.ts', import.meta.url));
  const program = ts.createProgram([...byFile.keys(), runtimeGlobals], {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    moduleDetection: ts.ModuleDetectionKind.Force,
    strict: true,
    noEmit: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    paths: {
      '@ssekit/core': [source('core/src/index.ts')],
      '@ssekit/core/node': [source('core/src/node/index.ts')],
      '@ssekit/express': [source('express/src/index.ts')],
      '@ssekit/koa': [source('koa/src/index.ts')],
      '@ssekit/fastify': [source('fastify/src/index.ts')],
      '@ssekit/h3': [source('h3/src/index.ts')],
      '@ssekit/redis': [source('redis/src/index.ts')],
    },
  });
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
