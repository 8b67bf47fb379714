/**
 * A README snippet started as a user starts it: written as `snippet.ts` into a project of its own
 * (a temporary folder with a package.json and the repository's node_modules, so `@ssekit/*` is the
 * build) and run with `node snippet.ts`, Node stripping the types. A preload
 * (listen-probe.mjs) reports the port the server got; a snippet that only exports `GET` is served
 * by serve-export.mjs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const listenProbe = fileURLToPath(new URL('./listen-probe.mjs', import.meta.url));
const serveExport = fileURLToPath(new URL('./serve-export.mjs', import.meta.url));

const projects: string[] = [];
const children: ChildProcess[] = [];

/** Kills what is still running and deletes the projects. */
export function cleanUpSnippets(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const project of projects) rmSync(project, { recursive: true, force: true });
}

/** A user's project holding the snippet: package.json, node_modules, snippet.ts. */
function project(code: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ssekit-snippet-'));
  projects.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'snippet.ts'), code);
  return dir;
}

export interface Started {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  stderr: () => string;
  stdout: () => string;
}

/**
 * Starts the snippet and resolves once its server listens. `kind` 'exports GET': the snippet is
 * a route module, served by `@hono/node-server`; 'server': it listens by itself.
 */
export async function startSnippet(code: string, kind: 'server' | 'exports GET'): Promise<Started> {
  const dir = project(code);
  const entry = kind === 'server' ? ['snippet.ts'] : [serveExport, 'snippet.ts'];
  // Node 22 warns that type stripping is experimental: not the snippet's output.
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', '--import', listenProbe, ...entry],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const port = await new Promise<string>((resolve, reject) => {
    let reported = '';
    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      reported += chunk.toString();
      const port = /^listening (\d+)$/m.exec(reported)?.[1];
      if (port !== undefined) resolve(port);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`the snippet exited (${code ?? signal}) before listening: ${stderr}`)),
    );
  });
  return { child, origin: `http://127.0.0.1:${port}`, stderr: () => stderr, stdout: () => stdout };
}
