#!/usr/bin/env node
/**
 * `npm run bench`: ssekit and its peers side by side, each server in its own process and the
 * load client in another, on 127.0.0.1. Writes bench/RESULTS-node<major>.md and .json.
 *
 *   npm run bench                       the full run (3 runs, medians), on this Node
 *   npm run bench -- --node=26          the same on /opt/node26 (22, 24 or 26; or a path to a node)
 *   npm run bench -- --quick            a small run, prints the tables, writes nothing
 *   npm run bench -- --check            does every row deliver every event? (bench:ci; seconds a row)
 *   npm run bench -- --only=raw-node,ssekit-node --sessions=crowd --runs=1
 *   npm run bench -- --profile          also write a CPU profile of every server (bench/profiles/)
 *   npm run bench -- --no-build         use the packages' dist as it is
 *   npm run bench -- --from-json        rewrite the .md from the runs kept in the .json
 *   npm run bench -- --out=NAME         write bench/NAME.md and .json instead
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeHeadline } from './headline.mjs';
import { reexecWhenNeeded } from './lib/reexec.mjs';
import { buildCheckReport, buildReport, machine } from './lib/report.mjs';
import { checkSession, growingSession, redisSession, streamSession } from './lib/sessions.mjs';
import { median } from './lib/stats.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = fileURLToPath(new URL('.', import.meta.url));

/** Rows without a `/stream` route take part in the fan-out, memory and latency sessions only. */
const FAN_OUT_SESSIONS = ['crowd', 'memory', 'large', 'few'];
const HUB_SESSIONS = FAN_OUT_SESSIONS;
/** The Node writer options of issue 2 are settled: measured at the crowd size and one client only. */
const WRITER_SESSIONS = ['crowd', 'stream'];

/** Every implementation, in table order; `needs` names the workspace packages it imports. */
const IMPLEMENTATIONS = [
  { name: 'raw-node', label: 'raw node:http (the limit)', needs: [] },
  { name: 'better-sse', label: 'better-sse 0.16 Channel', needs: [] },
  { name: 'h3-eventstream', label: 'h3 v2 EventStream', needs: [] },
  { name: 'hono-streamsse', label: 'Hono streamSSE', needs: [] },
  { name: 'ssekit-node', label: 'ssekit openSseStream', needs: ['core'] },
  {
    name: 'ssekit-hub-node',
    label: 'ssekit hub + openSseStream',
    needs: ['core'],
    sessions: HUB_SESSIONS,
  },
  { name: 'ssekit-express', label: 'ssekit @ssekit/express', needs: ['core', 'express'] },
  { name: 'ssekit-koa', label: 'ssekit @ssekit/koa', needs: ['core', 'koa'] },
  {
    name: 'ssekit-hub-express',
    label: 'ssekit hub via express',
    needs: ['core', 'express'],
    sessions: HUB_SESSIONS,
  },
  {
    name: 'ssekit-hub-koa',
    label: 'ssekit hub via koa',
    needs: ['core', 'koa'],
    sessions: HUB_SESSIONS,
  },
  { name: 'ssekit-fastify', label: 'ssekit @ssekit/fastify', needs: ['core', 'fastify'] },
  { name: 'fastify-sse', label: '@fastify/sse 0.6', needs: [] },
  { name: 'ssekit-fetch', label: 'ssekit fetch entry (srvx)', needs: ['core'] },
  { name: 'ssekit-h3', label: 'ssekit @ssekit/h3', needs: ['core', 'h3'] },
  ...['writer-reader-loop', 'writer-fromweb-pipe', 'writer-pipeto'].map((name, i) => ({
    name,
    label: `writer (${'bcd'[i]}) ${['reader loop', 'Readable.fromWeb.pipe', 'pipeTo(Writable.toWeb)'][i]}`,
    needs: ['core'],
    sessions: WRITER_SESSIONS,
  })),
  ...[
    ['raw-express', 'Express 5'],
    ['raw-koa', 'Koa 3'],
    ['raw-fastify', 'Fastify 5'],
    ['raw-h3', 'h3 v2 on Node'],
  ].map(([name, framework]) => ({
    name,
    label: `${framework}, raw writes (no SSE library)`,
    needs: [],
    sessions: FAN_OUT_SESSIONS,
  })),
  {
    name: 'ssekit-hub-redis',
    label: 'ssekit hub on Redis via express, 2 instances',
    needs: ['core', 'express', 'redis'],
    sessions: ['redis'],
  },
];

/** The sessions an implementation takes part in unless it names its own. */
const DEFAULT_SESSIONS = ['crowd', 'memory', 'large', 'few', 'stream'];

/**
 * Sizes: `clients` connected per session, `events` broadcast per fan-out phase (the same count in
 * the burst and the paced workload: 100,000 deliveries a phase, 200,000 at 10,000 clients), `timeoutMs`
 * before a phase is called late. `latency` is the session's probes: one every `intervalMs`, paced
 * so that the fastest row's server stays well under one core (1,000 clients every 10 ms kept every
 * row near 100% of a core, and the p99 measured the queue), after `warmup` probes not timed.
 */
const FULL = {
  runs: 3,
  settleMs: 100,
  graceMs: 100,
  crowd: {
    clients: 1_000,
    events: 100,
    timeoutMs: 30_000,
    latency: { warmup: 10, events: 60, intervalMs: 50, timeoutMs: 10_000 },
  },
  memory: { clients: 5_000, events: 20, timeoutMs: 60_000 },
  large: { clients: 10_000, events: 20, timeoutMs: 90_000 },
  few: {
    clients: 200,
    latency: { warmup: 50, events: 200, intervalMs: 10, timeoutMs: 10_000 },
  },
  stream: { events: 200_000, timeoutMs: 60_000 },
  redis: {
    clients: 1_000,
    events: 100,
    timeoutMs: 30_000,
    latency: { warmup: 10, events: 60, intervalMs: 50, timeoutMs: 10_000 },
  },
};

/**
 * Seconds one session of the full run takes, per row: one run of every row at full size
 * (`--sessions=few,crowd,memory,large,stream,redis --runs=1`, Node 24.22.3, the 2-core machine
 * with nothing else running, load average 0.7-1.6) took 373 s, few and crowd 9.2 s a row
 * together, memory and large 9.7 s (raw node:http 7.4, Hono 20.5). A full run prints the estimate
 * these give before it starts.
 */
const FULL_SESSION_SECONDS = {
  few: 3,
  crowd: 6.2,
  memory: 4.2,
  large: 5.5,
  stream: 0.5,
  redis: 6,
};

const QUICK_LATENCY = { warmup: 10, events: 30, intervalMs: 10, timeoutMs: 5_000 };
const QUICK = {
  runs: 1,
  settleMs: 100,
  graceMs: 100,
  crowd: { clients: 200, events: 20, timeoutMs: 10_000, latency: QUICK_LATENCY },
  memory: { clients: 300, events: 10, timeoutMs: 10_000 },
  large: { clients: 500, events: 10, timeoutMs: 20_000 },
  few: { clients: 50, latency: QUICK_LATENCY },
  stream: { events: 5_000, timeoutMs: 20_000 },
  redis: { clients: 200, events: 20, timeoutMs: 10_000, latency: QUICK_LATENCY },
  check: { clients: 100, events: 10, timeoutMs: 10_000, latency: QUICK_LATENCY },
};

/** The sessions that are not a size of idle clients. */
const OTHER_SESSIONS = { stream: streamSession, redis: redisSession, check: checkSession };

/**
 * The server processes of one run of a row, in order: the sessions in one group run in one
 * process (sizes growing from the first to the last, see `growingSession`).
 */
const PROCESS_GROUPS = [['few', 'crowd'], ['memory', 'large'], ['stream'], ['redis'], ['check']];
const SESSION_NAMES = PROCESS_GROUPS.flat();

/** Runs the sessions of one group for `impl`; returns each session's figures under its name. */
async function runGroup(impl, sessions, config, options) {
  const [first] = sessions;
  if (OTHER_SESSIONS[first] === undefined) return growingSession(impl, sessions, config, options);
  return { [first]: await OTHER_SESSIONS[first](impl, config, options) };
}

/**
 * The sessions `impl` takes part in. `--check` runs one small session per row instead of all of
 * them (the Redis row keeps its own): every phase once, in one server process.
 */
function sessionsOf(impl, check) {
  const sessions = impl.sessions ?? DEFAULT_SESSIONS;
  if (!check) return sessions;
  return sessions.includes('redis') ? ['redis'] : ['check'];
}

/** The major version `--node` names (a number), or this Node's. */
function major(node) {
  return /^\d+$/.test(node ?? '') ? node : process.versions.node.split('.')[0];
}

function parseArgs(argv) {
  const flags = new Map();
  for (const arg of argv) {
    const [key, value = 'true'] = arg.replace(/^--/, '').split('=');
    flags.set(key, value);
  }
  const check = flags.has('check');
  const quick = check || flags.has('quick');
  const config = { ...(quick ? QUICK : FULL) };
  if (flags.has('runs')) config.runs = Number(flags.get('runs'));
  const list = (key, all) => {
    if (!flags.has(key)) return all;
    const chosen = flags.get(key).split(',');
    const unknown = chosen.filter((name) => !all.includes(name));
    if (unknown.length > 0) {
      throw new TypeError(
        `bench: --${key}: no ${unknown.join(', ')}; choose from ${all.join(', ')}`,
      );
    }
    return chosen;
  };
  return {
    quick,
    check,
    config,
    only: list(
      'only',
      IMPLEMENTATIONS.map((impl) => impl.name),
    ),
    sessions: check ? ['check', 'redis'] : list('sessions', SESSION_NAMES),
    build: !flags.has('no-build'),
    write: !check && (flags.has('write') || !(quick || flags.has('only') || flags.has('sessions'))),
    out: `${BENCH}${flags.get('out') ?? `RESULTS-node${major(flags.get('node'))}`}`,
    profileDir: flags.has('profile') ? `${BENCH}profiles` : undefined,
    node: flags.get('node'),
  };
}

/** File descriptors one process needs: the largest session's clients, and a margin. */
function filesNeeded(config) {
  const sizes = ['crowd', 'memory', 'large', 'few', 'redis'].map((s) => config[s].clients);
  return Math.max(...sizes) + 1_000;
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
  writeHeadline();
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (process.argv.includes('--from-json')) return rewriteFromJson(options.out);
  const { config } = options;
  reexecWhenNeeded(options.node, filesNeeded(config));
  const loadAverageAtStart = os.loadavg().map((value) => Number(value.toFixed(2)));
  console.log(`bench: Node ${process.version} (${process.execPath})`);
  const chosen = IMPLEMENTATIONS.filter((impl) => options.only.includes(impl.name));
  const runnable = buildPackages(chosen, options.build);
  if (options.profileDir !== undefined) mkdirSync(options.profileDir, { recursive: true });

  /** raw[impl][session] = one result per run (or an error). */
  const raw = Object.fromEntries(runnable.map((impl) => [impl.name, {}]));
  const broken = new Map();
  const planned = runnable.flatMap((impl) =>
    options.sessions.filter((session) => sessionsOf(impl, options.check).includes(session)),
  );
  if (!options.quick) {
    const seconds = planned.reduce((sum, session) => sum + FULL_SESSION_SECONDS[session], 0);
    console.log(
      `bench: ${planned.length * config.runs} sessions (${planned.length} per run, ${config.runs} runs), about ${minutes(seconds * config.runs)} on a quiet machine`,
    );
  }
  const started = Date.now();
  for (let run = 1; run <= config.runs; run++) {
    for (const group of PROCESS_GROUPS) {
      for (const impl of runnable) {
        const sessions = group.filter(
          (session) =>
            options.sessions.includes(session) && sessionsOf(impl, options.check).includes(session),
        );
        if (broken.has(impl.name) || sessions.length === 0) continue;
        const label = `run ${run}/${config.runs} ${sessions.join('+')} ${impl.name}`;
        const sessionStarted = Date.now();
        const record = (session, result) => {
          raw[impl.name][session] ??= [];
          raw[impl.name][session].push(result);
        };
        try {
          const results = await runGroup(impl.name, sessions, config, {
            profileDir: options.profileDir,
            stream: sessionsOf(impl, false).includes('stream'),
          });
          for (const session of sessions) record(session, results[session]);
          console.log(`${label} (${Date.now() - sessionStarted} ms): ${summarize(results)}`);
        } catch (error) {
          for (const session of sessions) record(session, { error: error.message });
          console.log(`${label}: ERROR ${error.message}`);
          if (/did not start|exited with/.test(error.message)) broken.set(impl.name, error.message);
        }
      }
    }
  }
  const results = aggregate(raw);
  const build = options.check ? buildCheckReport : buildReport;
  const report = build({
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
  console.log(
    `bench: ${planned.length * config.runs} sessions in ${minutes((Date.now() - started) / 1000)}`,
  );
  if (options.write) {
    writeFileSync(`${options.out}.md`, report.markdown);
    writeFileSync(`${options.out}.json`, `${JSON.stringify({ ...report.json, raw }, null, 2)}\n`);
    console.log(`bench: wrote ${options.out}.md and ${options.out}.json`);
    writeHeadline();
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

/** "12 min 5 s". */
function minutes(seconds) {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

function summarize(result) {
  return JSON.stringify(result, (_, value) =>
    typeof value === 'number' ? Number(value.toPrecision(4)) : value,
  );
}

/** The figures every phase may report; each metric's median is taken field by field. */
const FIELDS = [
  'rate',
  'cpuPerEvent',
  'p50',
  'p99',
  'rssPerConnection',
  'heapPerConnection',
  'serverCpu',
];

/**
 * Medians over the runs that were right, per metric `<session>.<phase>` (`crowd.paced`,
 * `memory.memory`, ...); wrong, late and failed runs are counted, never averaged in. A run whose
 * session failed counts as failed for every phase that session reports in any run.
 */
function aggregate(raw) {
  const results = {};
  for (const [impl, sessions] of Object.entries(raw)) {
    results[impl] = {};
    for (const [session, runs] of Object.entries(sessions)) {
      const phases = new Set(
        runs.filter((run) => run.error === undefined).flatMap((run) => Object.keys(run)),
      );
      if (phases.size === 0 && runs.length > 0) phases.add('all');
      for (const phase of phases) {
        const values = [];
        const entry = { ok: 0, wrong: 0, late: 0, failed: 0 };
        for (const run of runs) {
          const value = run[phase];
          if (run.error !== undefined) entry.failed += 1;
          else if (value?.wrong) entry.wrong += 1;
          else if (value?.late) entry.late += 1;
          else if (value !== undefined) values.push(value);
        }
        entry.ok = values.length;
        for (const field of FIELDS) entry[field] = median(values.map((value) => value[field]));
        results[impl][`${session}.${phase}`] = entry;
      }
    }
  }
  return results;
}

await main();
