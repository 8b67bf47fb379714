/**
 * Shutdown, one table: each process below holds open streams and gets SIGTERM. Every client must
 * get the retry hint and see its stream end, and the process must exit by itself (code 0, nothing
 * on stderr) within SHUTDOWN_BUDGET_MS (the figure SECURITY.md and docs/reliability-figures.md
 * document). The rows: the dashboard example (Express + hub, under load, where no reading
 * published before the shutdown may be missing), and the shutdown recipe of every framework that
 * docs/deploying.md shows (docs/recipes/shutdown/, run as the docs print them).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry, bundleExample } from './support/bundle.js';
import { openClient, type SseClient } from './support/clients.js';
import { recordFigures, scaled } from './support/figures.js';
import { until } from './support/wait.js';

const CONNECT_BATCH = 250;
/** The documented bound: SIGTERM to process exit with every stream closed. */
const SHUTDOWN_BUDGET_MS = 5000;
const RETRY_HINT = 1000;
const root = fileURLToPath(new URL('../../', import.meta.url));

interface Target {
  /** The runnable file (bundled with @ssekit/* from source) and the folder it runs in. */
  bundle: () => Promise<string>;
  cwd: string;
  /** Matches the line the process prints once it listens; group 1 is its origin. */
  listening: RegExp;
  path: string;
  streams: number;
  /** Resolves once every client is live (subscribed). */
  live: (clients: SseClient[]) => Promise<void>;
}

interface Shutdown {
  exit: { code: number | null; signal: NodeJS.Signals | null };
  exitMs: number;
  stderr: string;
  clients: SseClient[];
}

const children: ChildProcess[] = [];
const opened: SseClient[] = [];
const keptAlive = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
afterAll(() => {
  for (const client of opened) client.destroy();
  keptAlive.destroy();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts the target, opens its streams, sends SIGTERM; resolves once it exited and every stream ended. */
async function shutDown(target: Target): Promise<Shutdown> {
  const started = spawn(process.execPath, [await target.bundle()], {
    cwd: target.cwd,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(started);
  let stderr = '';
  started.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) => started.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const origin = await new Promise<string>((resolve, reject) => {
    createInterface({ input: started.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const url = target.listening.exec(line)?.[1];
      if (url !== undefined) resolve(url);
    });
    void exited.then(({ code }) => reject(new Error(`the process exited (${code}): ${stderr}`)));
  });

  const clients: SseClient[] = [];
  for (let count = 0; count < target.streams; ) {
    const batchEnd = Math.min(count + CONNECT_BATCH, target.streams);
    const batch: SseClient[] = [];
    for (; count < batchEnd; count++) {
      // Every other connection is kept alive, as a browser's or fetch's is: one left idle after
      // its stream ended holds a shutting-down server until its keepAliveTimeout.
      const agent = count % 2 === 0 ? keptAlive : undefined;
      batch.push(openClient(`${origin}${target.path}`, { agent }));
    }
    clients.push(...batch);
    opened.push(...batch);
    await target.live(batch);
  }

  const signalledAt = Date.now();
  started.kill('SIGTERM');
  const { at, ...exit } = await exited;
  await Promise.all(clients.map((client) => client.ended));
  return { exit, exitMs: at - signalledAt, stderr, clients };
}

function expectCleanExit(shutdown: Shutdown): void {
  expect(shutdown.exit).toEqual({ code: 0, signal: null });
  expect(shutdown.exitMs).toBeLessThan(SHUTDOWN_BUDGET_MS);
  expect(shutdown.stderr).toBe('');
  for (const client of shutdown.clients) expect(client.parseErrors).toEqual([]);
}

describe('SIGTERM on the dashboard example', () => {
  const STREAMS = scaled({ quick: 1000, soak: 5000 });
  const readingsOf = (client: SseClient) =>
    client.events.filter((event) => event.event === 'reading');

  it(`${STREAMS} open streams: retry hint, stream end, exit within ${SHUTDOWN_BUDGET_MS} ms, nothing lost`, {
    timeout: 120_000,
  }, async () => {
    const shutdown = await shutDown({
      bundle: () => bundleExample('dashboard'),
      cwd: `${root}examples/dashboard/`,
      listening: /^dashboard: (http:\/\/127\.0\.0\.1:\d+)\/$/,
      path: '/events',
      streams: STREAMS,
      live: async (batch) => {
        await until(() => batch.every((c) => c.retries.length === 1), 'the batch to open', 30_000);
        // Live: each client has had readings through the hub.
        await until(
          () => batch.every((client) => readingsOf(client).length >= 2),
          'two readings per client',
          30_000,
        );
      },
    });
    expectCleanExit(shutdown);
    // The hint at open, and the hint the hub sent on close.
    for (const client of shutdown.clients) expect(client.retries).toEqual([RETRY_HINT, RETRY_HINT]);
    // Nothing lost: each client's readings are consecutive, and all end at the same last one.
    const lastSeqs = new Set<number>();
    let readings = 0;
    for (const client of shutdown.clients) {
      const seqs = readingsOf(client).map(
        (event) => (JSON.parse(event.data) as { seq: number }).seq,
      );
      readings += seqs.length;
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
      lastSeqs.add(seqs.at(-1) as number);
    }
    expect(lastSeqs.size).toBe(1);

    recordFigures({
      scenario: 'Shutdown (SIGTERM)',
      target: 'examples/dashboard (Express 5 + hub)',
      clients: STREAMS,
      events: readings,
      errors: shutdown.stderr === '' ? 0 : 1,
      note: `exit code ${shutdown.exit.code} ${shutdown.exitMs} ms after SIGTERM (budget ${SHUTDOWN_BUDGET_MS} ms); ${STREAMS}/${STREAMS} clients got retry ${RETRY_HINT} and saw the end; every client's readings consecutive up to #${[...lastSeqs][0]}`,
    });
  });
});

describe('SIGTERM on the shutdown recipe of docs/deploying.md', () => {
  const STREAMS = 50;
  it.for(['node-http', 'express', 'koa', 'fastify', 'h3', 'fetch'])(
    `%s: ${STREAMS} open streams get the retry hint and end; the process exits`,
    { timeout: 60_000 },
    async (recipe) => {
      const shutdown = await shutDown({
        bundle: () => bundleEntry(`docs/recipes/shutdown/${recipe}.ts`, `shutdown-${recipe}`),
        cwd: root,
        listening: /^listening on (http:\/\/127\.0\.0\.1:\d+)\/?$/,
        path: '/events',
        streams: STREAMS,
        // The recipes subscribe in the handler, before the status goes out.
        live: async (batch) => {
          expect(await Promise.all(batch.map((client) => client.status))).toEqual(
            batch.map(() => 200),
          );
        },
      });
      expectCleanExit(shutdown);
      // The recipes send no hint at open: this one is the hub's, on close.
      for (const client of shutdown.clients) expect(client.retries).toEqual([RETRY_HINT]);
    },
  );
});
