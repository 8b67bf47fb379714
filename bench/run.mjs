#!/usr/bin/env node
/**
 * `npm run bench`: ssekit and its peers side by side, each server in its own process and the
 * load client in another, on 127.0.0.1. Writes bench/RESULTS.md and bench/RESULTS.json.
 *
 *   npm run bench                       the full run (3 runs, medians; ~10 minutes)
 *   npm run bench -- --quick            a small run (~1 minute), prints the table, writes nothing
 *   npm run bench -- --only=raw-node,ssekit-node --sessions=stream --runs=1
 *   npm run bench -- --profile          also write a CPU profile of every server (bench/profiles/)
 *   npm run bench -- --no-build         use the packages' dist as it is
 *   npm run bench -- --from-json        rewrite RESULTS.md from the runs kept in RESULTS.json
 *   npm run bench -- --out=RESULTS-node24   write bench/RESULTS-node24.md and .json instead
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildReport, machine } from './lib/report.mjs';
import { crowdSession, memorySession, redisSession, streamSession } from './lib/sessions.mjs';
import { median } from './lib/stats.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = fileURLToPath(new URL('.', import.meta.url));

/** Every implementation, in table order; `needs` names the workspace packages it imports. */
const IMPLEMENTATIONS = [
  { name: 'raw-node', label: 'raw node:http (the limit)', needs: [] },
  { name: 'better-sse', label: 'better-sse 0.16 Channel', needs: [] },
  { name: 'h3-eventstream', label: 'h3 v2 EventStream', needs: [] },
  { name: 'hono-streamsse', label: 'Hono streamSSE', needs: [] },
  { name: 'ssekit-node', label: 'ssekit openSseStream', needs: ['core'] },
  { name: 'ssekit-express', label: 'ssekit @ssekit/express', needs: ['core', 'express'] },
  { name: 'ssekit-koa', label: 'ssekit @ssekit/koa', needs: ['core', 'koa'] },
  {
    name: 'ssekit-hub-express',
    label: 'ssekit hub via express',
    needs: ['core', 'express'],
    sessions: ['crowd', 'memory'],
  },
  {
    name: 'ssekit-hub-koa',
    label: 'ssekit hub via koa',
    needs: ['core', 'koa'],
    sessions: ['crowd', 'memory'],
  },
  { name: 'ssekit-fastify', label: 'ssekit @ssekit/fastify', needs: ['core', 'fastify'] },
  { name: 'fastify-sse', label: '@fastify/sse 0.6', needs: [] },
  { name: 'ssekit-fetch', label: 'ssekit fetch entry (srvx)', needs: ['core'] },
  { name: 'ssekit-h3', label: 'ssekit @ssekit/h3', needs: ['core', 'h3'] },
  { name: 'writer-reader-loop', label: 'writer (b) reader loop', needs: ['core'] },
  { name: 'writer-fromweb-pipe', label: 'writer (c) Readable.fromWeb.pipe', needs: ['core'] },
  { name: 'writer-pipeto', label: 'writer (d) pipeTo(Writable.toWeb)', needs: ['core'] },
  {
    name: 'raw-express',
    label: 'Express 5, raw writes (no SSE library)',
    needs: [],
    sessions: ['crowd', 'memory'],
  },
  {
    name: 'raw-koa',
    label: 'Koa 3, raw writes (no SSE library)',
    needs: [],
    sessions: ['crowd', 'memory'],
  },
  {
    name: 'raw-fastify',
    label: 'Fastify 5, raw writes (no SSE library)',
    needs: [],
    sessions: ['crowd', 'memory'],
  },
  {
    name: 'ssekit-hub-redis',
    label: 'ssekit hub on Redis via express, 2 instances',
    needs: ['core', 'express', 'redis'],
    sessions: ['redis'],
  },
];

/** The sessions an implementation takes part in unless it names its own. */
const DEFAULT_SESSIONS = ['crowd', 'memory', 'stream'];

const FULL = {
  runs: 3,
  settleMs: 300,
  graceMs: 200,
  crowdClients: 1_000,
  crowdBurst: { events: 100, timeoutMs: 30_000 },
  latency: { warmup: 100, events: 500, intervalMs: 10, timeoutMs: 10_000 },
  memoryClients: 5_000,
  memoryBurst: { events: 40, timeoutMs: 60_000 },
  streamEvents: 200_000,
  streamTimeoutMs: 60_000,
  redisClients: 1_000,
  redisBurst: { events: 100, timeoutMs: 30_000 },
};

const QUICK = {
  runs: 1,
  settleMs: 100,
  graceMs: 100,
  crowdClients: 200,
  crowdBurst: { events: 20, timeoutMs: 10_000 },
  latency: { warmup: 20, events: 50, intervalMs: 10, timeoutMs: 5_000 },
  memoryClients: 500,
  memoryBurst: { events: 10, timeoutMs: 10_000 },
  streamEvents: 20_000,
  streamTimeoutMs: 20_000,
  redisClients: 200,
  redisBurst: { events: 20, timeoutMs: 10_000 },
};

const SESSIONS = {
  crowd: crowdSession,
  memory: memorySession,
  stream: streamSession,
  redis: redisSession,
};

function parseArgs(argv) {
  const flags = new Map();
  for (const arg of argv) {
    const [key, value = 'true'] = arg.replace(/^--/, '').split('=');
    flags.set(key, value);
  }
  const quick = flags.has('quick');
  const config = { ...(quick ? QUICK : FULL) };
  if (flags.has('runs')) config.runs = Number(flags.get('runs'));
  const list = (key, all) => (flags.has(key) ? flags.get(key).split(',') : all);
  return {
    quick,
    config,
    only: list(
      'only',
      IMPLEMENTATIONS.map((impl) => impl.name),
    ),
    sessions: list('sessions', Object.keys(SESSIONS)),
    build: !flags.has('no-build'),
    write: flags.has('write') || !(quick || flags.has('only') || flags.has('sessions')),
    out: `${BENCH}${flags.get('out') ?? 'RESULTS'}`,
    profileDir: flags.has('profile') ? `${BENCH}profiles` : undefined,
  };
}

/** Idle connections need file descriptors: re-run under a raised `ulimit -n` when too low. */
function ensureFileLimit(config) {
  const needed = config.memoryClients * 2 + 1_000;
  const soft = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  if (!(soft < needed) || process.env.SSEKIT_BENCH_ULIMIT) return;
  const script = `ulimit -n ${needed} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const result = spawnSync('sh', ['-c', script, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, SSEKIT_BENCH_ULIMIT: '1' },
  });
  process.exit(result.status ?? 1);
}

/** Builds the workspace packages the chosen implementations import (tsup, a few seconds). */
function buildPackages(implementations, build) {
  const available = new Set();
  const wanted = new Set(implementations.flatMap((impl) => impl.needs));
  for (const pkg of wanted) {
    const dir = `${ROOT}packages/${pkg}`;
    if (!existsSync(`${dir}/src/index.ts`)) continue;
    if (build || !existsSync(`${dir}/dist/index.js`)) {
      const result = spawnSync('npm', ['run', 'build', '--silent', '-w', `packages/${pkg}`], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      if (result.status !== 0) {
        console.error(`bench: building packages/${pkg} failed; its rows are skipped.`);
        continue;
      }
    }
    available.add(pkg);
  }
  return implementations.filter((impl) => impl.needs.every((pkg) => available.has(pkg)));
}

/** Rebuilds the tables from the raw runs of a previous full run (after a change to the report). */
function rewriteFromJson(out) {
  const saved = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
  const report = buildReport({
    config: saved.config,
    quick: saved.quick,
    results: aggregate(saved.raw),
    broken: new Map(saved.broken ?? []),
    implementations: Object.keys(saved.raw),
    labels: Object.fromEntries(IMPLEMENTATIONS.map((impl) => [impl.name, impl.label])),
    seconds: saved.seconds ?? 0,
    host: saved.machine,
  });
  writeFileSync(`${out}.md`, report.markdown);
  writeFileSync(`${out}.json`, `${JSON.stringify({ ...report.json, raw: saved.raw }, null, 2)}\n`);
  console.log(`bench: rewrote ${out}.md from ${out}.json`);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (process.argv.includes('--from-json')) return rewriteFromJson(options.out);
  const { config } = options;
  const loadAverageAtStart = os.loadavg().map((value) => Number(value.toFixed(2)));
  ensureFileLimit(config);
  const chosen = IMPLEMENTATIONS.filter((impl) => options.only.includes(impl.name));
  const runnable = buildPackages(chosen, options.build);
  if (options.profileDir !== undefined) mkdirSync(options.profileDir, { recursive: true });

  /** raw[impl][session] = one result per run (or an error). */
  const raw = Object.fromEntries(runnable.map((impl) => [impl.name, {}]));
  const broken = new Map();
  const started = Date.now();
  for (let run = 1; run <= config.runs; run++) {
    for (const session of options.sessions) {
      for (const impl of runnable) {
        if (broken.has(impl.name) || !(impl.sessions ?? DEFAULT_SESSIONS).includes(session))
          continue;
        const label = `run ${run}/${config.runs} ${session} ${impl.name}`;
        raw[impl.name][session] ??= [];
        const runs = raw[impl.name][session];
        const sessionStarted = Date.now();
        try {
          const result = await SESSIONS[session](impl.name, config, {
            profileDir: options.profileDir,
          });
          runs.push(result);
          console.log(`${label} (${Date.now() - sessionStarted} ms): ${summarize(result)}`);
        } catch (error) {
          runs.push({ error: error.message });
          console.log(`${label}: ERROR ${error.message}`);
          if (/did not start|exited with/.test(error.message)) broken.set(impl.name, error.message);
        }
      }
    }
  }
  const results = aggregate(raw);
  const report = buildReport({
    config,
    quick: options.quick,
    results,
    broken,
    implementations: runnable.map((impl) => impl.name),
    labels: Object.fromEntries(IMPLEMENTATIONS.map((impl) => [impl.name, impl.label])),
    seconds: (Date.now() - started) / 1000,
    host: { ...machine(), loadAverageAtStart },
  });
  console.log(`\n${report.markdown}`);
  if (options.write) {
    writeFileSync(`${options.out}.md`, report.markdown);
    writeFileSync(`${options.out}.json`, `${JSON.stringify({ ...report.json, raw }, null, 2)}\n`);
    console.log(`bench: wrote ${options.out}.md and ${options.out}.json`);
  }
  // Speed is never a failure; a session that broke or a run that lost or duplicated events is.
  const problems = Object.entries(results).flatMap(([impl, metrics]) =>
    Object.entries(metrics)
      .filter(([, entry]) => entry.wrong > 0 || entry.failed > 0)
      .map(([metric, entry]) => `${impl} ${metric}: ${entry.wrong} wrong, ${entry.failed} failed`),
  );
  for (const [impl, message] of broken) problems.push(`${impl} did not start: ${message}`);
  if (problems.length > 0) {
    console.error(`bench: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  }
}

function summarize(result) {
  return JSON.stringify(result, (_, value) =>
    typeof value === 'number' ? Number(value.toPrecision(4)) : value,
  );
}

/** Medians over the runs that were right; wrong, late and failed runs are counted, never averaged in. */
function aggregate(raw) {
  const figures = {
    fanoutCrowd: (r) => r.crowd?.fanout,
    latency: (r) => r.crowd?.latency,
    memory: (r) => r.memory?.memory,
    fanoutMemory: (r) => r.memory?.fanout,
    stream: (r) => r.stream,
    redisFanout: (r) => r.redis?.fanout,
    redisLatency: (r) => r.redis?.latency,
  };
  const results = {};
  for (const [impl, sessions] of Object.entries(raw)) {
    results[impl] = {};
    const runCount = Math.max(0, ...Object.values(sessions).map((runs) => runs.length));
    for (const [key, pick] of Object.entries(figures)) {
      const values = [];
      let wrong = 0;
      let late = 0;
      let failed = 0;
      for (let i = 0; i < runCount; i++) {
        const bySession = Object.fromEntries(
          Object.entries(sessions).map(([session, runs]) => [session, runs[i]]),
        );
        const value = pick(bySession);
        const source = bySession[sessionOf(key)];
        if (source?.error !== undefined) failed += 1;
        else if (value?.wrong) wrong += 1;
        else if (value?.late) late += 1;
        else if (value !== undefined) values.push(value);
      }
      if (values.length + wrong + late + failed === 0) continue;
      const med = (field) => median(values.map((value) => value[field]));
      results[impl][key] = {
        ok: values.length,
        wrong,
        late,
        failed,
        rate: med('rate'),
        p50: med('p50'),
        p99: med('p99'),
        rssPerConnection: med('rssPerConnection'),
        heapPerConnection: med('heapPerConnection'),
        serverCpu: med('serverCpu'),
      };
    }
  }
  return results;
}

function sessionOf(key) {
  if (key.startsWith('redis')) return 'redis';
  if (key === 'fanoutCrowd' || key === 'latency') return 'crowd';
  if (key === 'memory' || key === 'fanoutMemory') return 'memory';
  return 'stream';
}

await main();
