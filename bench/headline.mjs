#!/usr/bin/env node
/**
 * The headline figures, from the full runs kept in bench/RESULTS-node<major>.json (and
 * SCALE-node<major>.json): the root README's "How fast" table between its
 * `<!-- bench:headline -->` markers, and bench/RESULTS.md, the index of every run. `npm run
 * bench` calls it after a full run; `node bench/headline.mjs` redoes it by hand.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { figure, stamp, times } from './lib/report.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- bench:headline -->';
const END = '<!-- /bench:headline -->';

/** The columns: ssekit's row for the measure, then its peers. */
const PEERS = [
  ['raw-node', 'raw `node:http`'],
  ['better-sse', 'better-sse'],
  ['fastify-sse', '`@fastify/sse`'],
  ['h3-eventstream', 'h3 `EventStream`'],
  ['hono-streamsse', 'Hono `streamSSE`'],
];

/** The rows: what is measured, on which ssekit row, and how a figure is written. */
const MEASURES = [
  ['crowd.paced', 'rate', 'fan-out, one publish per macrotask', 'ssekit-hub-node', 'events/s'],
  ['crowd.burst', 'rate', 'fan-out, burst', 'ssekit-hub-node', 'events/s'],
  ['large.paced', 'rate', 'fan-out, one publish per macrotask', 'ssekit-hub-node', 'events/s'],
  ['large.burst', 'rate', 'fan-out, burst', 'ssekit-hub-node', 'events/s'],
  [
    'memory.memory',
    'rssPerConnection',
    'memory per idle connection, RSS',
    'ssekit-hub-node',
    'KiB',
  ],
  ['crowd.latency', 'p99', 'latency p99, one publish per macrotask', 'ssekit-hub-node', 'ms'],
  [
    'stream.oneClient',
    'rate',
    'one client, as fast as backpressure allows',
    'ssekit-node',
    'events/s',
  ],
];

const SHOW = {
  'events/s': (value) => `${Math.round(value / 1000).toLocaleString('en-US')}k`,
  KiB: (value) => `${(value / 1024).toFixed(1)} KiB`,
  ms: (value) => `${value.toFixed(1)} ms`,
};

/** Whether a saved run has this harness's metrics (`<session>.<phase>`), not an older one's. */
const current = (run) =>
  run.rows !== undefined ||
  Object.values(run.results ?? {}).some((metrics) =>
    Object.keys(metrics).some((key) => key.includes('.')),
  );

/** Full runs of this harness, newest Node first. */
function fullRuns(prefix) {
  return readdirSync(BENCH)
    .map((file) => new RegExp(`^${prefix}-node(\\d+)\\.json$`).exec(file))
    .filter((match) => match !== null)
    .map((match) => ({
      major: Number(match[1]),
      ...JSON.parse(readFileSync(`${BENCH}${match[0]}`, 'utf8')),
    }))
    .filter((run) => !run.quick && current(run))
    .sort((a, b) => b.major - a.major);
}

function sizeOf(metric, config) {
  const [session, phase] = metric.split('.');
  if (metric === 'stream.oneClient') return '';
  const clients = `, ${config[session].clients.toLocaleString('en-US')} clients`;
  if (phase !== 'latency') return clients;
  // Runs saved before each size had its own probes kept them in `config.latency`.
  const { intervalMs } = config[session].latency ?? config.latency;
  return `${clients}, a probe every ${intervalMs} ms`;
}

/** One run's headline table, with the Node version and the machine above it. */
function headlineTable(run) {
  const { results, config, labels } = run;
  const lines = [
    `${stamp(run.machine)}, ${config.runs} runs, medians, ${run.machine.date.slice(0, 10)} ([bench/RESULTS-node${run.major}.md](bench/RESULTS-node${run.major}.md)):`,
    '',
    `| | ssekit | ${PEERS.map(([, label]) => label).join(' | ')} |`,
    `| --- | ---: | ${PEERS.map(() => '---:').join(' | ')} |`,
  ];
  for (const [metric, field, title, ssekit, unit] of MEASURES) {
    const cell = (impl) => {
      const value = figure(results, impl, metric, field);
      return value === undefined ? '–' : SHOW[unit](value);
    };
    const ours = figure(results, ssekit, metric, field);
    const raw = figure(results, 'raw-node', metric, field);
    const ratio = ours === undefined || raw === undefined ? '' : ` (${times(ours / raw)} raw)`;
    lines.push(
      `| ${title}${sizeOf(metric, config)} (${labels[ssekit] ?? ssekit}), ${unit} | ${cell(ssekit)}${ratio} | ${PEERS.map(([impl]) => cell(impl)).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

const WHY = [
  'The two workloads differ in how many events wait for a socket when it is written: in a burst,',
  'many per socket per turn, which ssekit writes as one chunk; published one per macrotask, one per',
  'socket per turn, so every row makes the same writes and what is left between them is the work',
  'each does per event. The targets of issue 16, met or missed, are at the end of each results file.',
];

/** One sentence per scale run: the largest size, ssekit against raw. */
function scaleLine(run) {
  const total = Math.max(...run.rows.map((row) => row.total));
  const at = (kind) => run.rows.find((row) => row.kind === kind && row.total === total);
  const raw = at('raw');
  const ssekit = at('ssekit');
  if (raw === undefined || ssekit === undefined) return [];
  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  return [
    `${total.toLocaleString('en-US')} idle connections on Node ${run.machine.node} (${ssekit.processes} server processes, ` +
      `[bench/SCALE-node${run.major}.md](bench/SCALE-node${run.major}.md)): ssekit ${kib(ssekit.rssPerConnection)} RSS per connection ` +
      `against raw's ${kib(raw.rssPerConnection)} (${times(ssekit.rssPerConnection / raw.rssPerConnection)}), one event to all in ` +
      `${Math.round(ssekit.broadcastMs)} ms against ${Math.round(raw.broadcastMs)} ms.`,
  ];
}

export function headline() {
  const tables = fullRuns('RESULTS').map(headlineTable);
  if (tables.length === 0) return undefined;
  const scale = fullRuns('SCALE').flatMap(scaleLine);
  const lines = [...tables.flatMap((table) => [table, '']), ...WHY];
  if (scale.length > 0) lines.push('', ...scale);
  return lines.join('\n');
}

function resultsIndex(text) {
  const list = (prefix, what) =>
    fullRuns(prefix).map(
      (run) =>
        `- [${prefix}-node${run.major}.md](./${prefix}-node${run.major}.md): ${what}, Node ${run.machine.node}, ${run.machine.date.slice(0, 10)}`,
    );
  return [
    '# ssekit benchmarks',
    '',
    '<!-- Generated by bench/headline.mjs (run by `npm run bench` after a full run). Do not edit by hand. -->',
    '',
    'Every full run, by Node version (method and rows in [README.md](./README.md)):',
    '',
    ...list('RESULTS', 'the peers side by side, both workloads, targets of issue 16'),
    ...list('SCALE', 'idle connections from 1,000 to 100,000 (`npm run bench:scale`)'),
    '',
    '## Headline',
    '',
    text.replaceAll('](bench/', '](./'),
    '',
  ].join('\n');
}

/** Rewrites the README's headline block and bench/RESULTS.md; says what it did. */
export function writeHeadline() {
  const text = headline();
  if (text === undefined) {
    console.log('bench: no full run in bench/RESULTS-node*.json yet; README left as it is');
    return;
  }
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end < start) throw new Error(`README.md has no ${START} ... ${END} block`);
  writeFileSync(README, `${readme.slice(0, start + START.length)}\n${text}\n${readme.slice(end)}`);
  writeFileSync(`${BENCH}RESULTS.md`, resultsIndex(text));
  console.log('bench: README.md "How fast" and bench/RESULTS.md rewritten from the full runs');
}

if (process.argv[1] === fileURLToPath(import.meta.url) && existsSync(README)) writeHeadline();
