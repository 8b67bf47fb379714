#!/usr/bin/env node
/**
 * Seconds from typing `npm run demo` to the page answering, as a newcomer meets it: cold (no
 * package built, as after `npm install --ignore-scripts`), the first run on the tree as found
 * (on a fresh clone after `npm install`, whose prepare step built the JavaScript), and warm
 * (every later run).
 * Each run spawns the npm script, polls `GET /` every 20 ms until it answers 200, then stops
 * the script's whole process group.
 *
 *   node bench/first-answer.mjs [--example=<name>] [--cold=3] [--warm=5]
 *
 * `--example=<name>` times `npm run example -- <name>` instead. For the cold runs every
 * packages/<name>/dist is moved aside and put back afterwards, so the tree is left as found.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const flags = process.argv.slice(2);
const option = (key, fallback) =>
  flags.find((flag) => flag.startsWith(`--${key}=`))?.split('=')[1] ?? fallback;
const example = option('example', undefined);
const coldRuns = Number(option('cold', 3));
const warmRuns = Number(option('warm', 5));
const GIVE_UP_MS = 60_000;

const root = fileURLToPath(new URL('../', import.meta.url));
const script = example === undefined ? ['run', 'demo'] : ['run', 'example', '--', example];
const dists = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name, 'dist'))
  .filter((dist) => existsSync(dist));

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** One run: seconds from spawning the npm script to the first 200 on `/`. */
async function secondsToFirstAnswer() {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', script, {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  try {
    while (performance.now() - started < GIVE_UP_MS) {
      if (child.exitCode !== null) throw new Error(`npm ${script.join(' ')} exited:\n${stderr}`);
      const status = await fetch(`http://127.0.0.1:${port}/`).then(
        (response) => response.body?.cancel().then(() => response.status),
        () => undefined,
      );
      if (status === 200) return (performance.now() - started) / 1000;
      await sleep(20);
    }
    throw new Error(`no answer on port ${port} within ${GIVE_UP_MS / 1000} s:\n${stderr}`);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
}

let putBack = () => {};
process.once('SIGINT', () => {
  putBack();
  process.exit(130);
});

/** Runs `run` with every dist moved aside, then puts the original dist folders back. */
async function withoutDist(run) {
  const aside = mkdtempSync(join(tmpdir(), 'ssekit-first-answer-'));
  const moved = dists.map((dist, index) => [dist, join(aside, String(index))]);
  for (const [dist, away] of moved) renameSync(dist, away);
  putBack = () => {
    for (const [dist, away] of moved) {
      rmSync(dist, { recursive: true, force: true });
      renameSync(away, dist);
    }
    rmSync(aside, { recursive: true, force: true });
    putBack = () => {};
  };
  try {
    return await run();
  } finally {
    putBack();
  }
}

const format = (seconds) => `${seconds.toFixed(2)} s`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(label, runs, prepare) {
  if (runs === 0) return;
  const seconds = [];
  for (let run = 0; run < runs; run++) seconds.push(await prepare(secondsToFirstAnswer));
  console.log(`${label}: median ${format(median(seconds))} (${seconds.map(format).join(', ')})`);
}

console.log(
  `npm ${script.join(' ')}: ${availableParallelism()} cores, Node ${process.version}, ` +
    `load average ${loadavg()[0].toFixed(1)}`,
);
await measure('cold (no dist, as after npm install --ignore-scripts)', coldRuns, (run) =>
  withoutDist(() => run()),
);
// The tree as it was found (a fresh clone after `npm install`, whose prepare step built the
// JavaScript): a newcomer's first `npm run demo`. Run with --cold=0 for that on a fresh clone.
await measure('first run on the tree as found', 1, (run) => run());
await measure('warm', warmRuns, (run) => run());
