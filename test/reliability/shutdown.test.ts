/**
 * Shutdown: the dashboard example (Express + hub), in its own process, holds 1,000 open streams
 * and gets SIGTERM. Every client must get the retry hint and see its stream end, the process must
 * exit by itself within SHUTDOWN_BUDGET_MS (the figure SECURITY.md and docs/reliability-figures.md
 * document), and no reading published before the shutdown may be missing from any client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleExample } from './support/bundle.js';
import { openClient, type SseClient } from './support/clients.js';
import { recordFigures, scaled } from './support/figures.js';
import { until } from './support/wait.js';

const STREAMS = scaled(1000, 5000);
const CONNECT_BATCH = 250;
/** The documented bound: SIGTERM to process exit with every stream closed. */
const SHUTDOWN_BUDGET_MS = 5000;
const RETRY_HINT = 1000;

describe('SIGTERM on the dashboard example', () => {
  let child: ChildProcess | undefined;
  const clients: SseClient[] = [];

  afterAll(() => {
    for (const client of clients) client.destroy();
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it(`${STREAMS} open streams: retry hint, stream end, exit within ${SHUTDOWN_BUDGET_MS} ms, nothing lost`, {
    timeout: 120_000,
  }, async () => {
    const bundle = await bundleExample('dashboard');
    const started = spawn(process.execPath, [bundle], {
      cwd: fileURLToPath(new URL('../../examples/dashboard/', import.meta.url)),
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
      (resolve) =>
        started.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    const origin = await new Promise<string>((resolve, reject) => {
      createInterface({ input: started.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const url = /^dashboard: (http:\/\/127\.0\.0\.1:\d+)\/$/.exec(line)?.[1];
        if (url !== undefined) resolve(url);
      });
      void exited.then(({ code }) => reject(new Error(`the example exited (${code}): ${stderr}`)));
    });

    for (let opened = 0; opened < STREAMS; ) {
      const batchEnd = Math.min(opened + CONNECT_BATCH, STREAMS);
      const batch: SseClient[] = [];
      for (; opened < batchEnd; opened++) batch.push(openClient(`${origin}/events`));
      clients.push(...batch);
      await until(
        () => batch.every((client) => client.retries.length === 1),
        'the batch to open',
        30_000,
      );
    }
    // Every client is live: it has had readings through the hub.
    const readingsOf = (client: SseClient) =>
      client.events.filter((event) => event.event === 'reading');
    await until(
      () => clients.every((client) => readingsOf(client).length >= 2),
      'two readings per client',
      30_000,
    );

    const signalledAt = Date.now();
    started.kill('SIGTERM');
    const exit = await exited;
    const exitMs = exit.at - signalledAt;
    await Promise.all(clients.map((client) => client.ended));

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(SHUTDOWN_BUDGET_MS);
    expect(stderr).toBe('');
    // The hint at open, and the hint the hub sent on close.
    for (const client of clients) expect(client.retries).toEqual([RETRY_HINT, RETRY_HINT]);
    // Nothing lost: each client's readings are consecutive, and all end at the same last one.
    const lastSeqs = new Set<number>();
    let readings = 0;
    for (const client of clients) {
      const seqs = readingsOf(client).map(
        (event) => (JSON.parse(event.data) as { seq: number }).seq,
      );
      readings += seqs.length;
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
      lastSeqs.add(seqs.at(-1) as number);
      expect(client.parseErrors).toEqual([]);
    }
    expect(lastSeqs.size).toBe(1);

    recordFigures({
      scenario: 'Shutdown (SIGTERM)',
      target: 'examples/dashboard (Express 5 + hub)',
      clients: STREAMS,
      events: readings,
      errors: stderr === '' ? 0 : 1,
      note: `exit code ${exit.code} ${exitMs} ms after SIGTERM (budget ${SHUTDOWN_BUDGET_MS} ms); ${STREAMS}/${STREAMS} clients got retry ${RETRY_HINT} and saw the end; every client's readings consecutive up to #${[...lastSeqs][0]}`,
    });
  });
});
