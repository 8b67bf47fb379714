/**
 * The markdown tables of RESULTS-node<major>.md and the JSON beside them, from the medians of the
 * runs. Metrics are named `<session>.<phase>` (see lib/sessions.mjs): `crowd.paced` is the
 * one-publish-per-macrotask fan-out at the crowd size, `memory.memory` the memory per idle
 * connection, and so on. Every table names its workload, the Node version and the machine.
 */
import os from 'node:os';
import { TARGETS } from './targets.mjs';

/** Each adapter's framework writing the same bytes by hand. */
const FRAMEWORK_OF = {
  'ssekit-express': 'raw-express',
  'ssekit-hub-express': 'raw-express',
  'ssekit-koa': 'raw-koa',
  'ssekit-hub-koa': 'raw-koa',
  'ssekit-fastify': 'raw-fastify',
  'ssekit-h3': 'raw-h3',
};

/** The two fan-out workloads, as every table names them. */
const WORKLOADS = {
  paced: 'one publish per macrotask',
  burst: 'burst (one synchronous loop)',
};

const int = (value) => (value === undefined ? '–' : Math.round(value).toLocaleString('en-US'));
const kb = (bytes) => (bytes === undefined ? '–' : (bytes / 1024).toFixed(1));
const percent = (share) => (share === undefined ? '–' : `${Math.round(share * 100)}%`);
const ms = (value) => (value === undefined ? '–' : value.toFixed(2));
const count = (value) => value.toLocaleString('en-US');
export const times = (value) =>
  value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}x`;

/** The figure of `impl` for `metric`, or undefined when it has no right run. */
export function figure(results, impl, metric, field) {
  const entry = results[impl]?.[metric];
  if (entry === undefined || entry.ok === 0) return undefined;
  return entry[field];
}

function runsCell(entry, runs) {
  if (entry === undefined) return 'not run';
  const notes = [];
  if (entry.wrong > 0) notes.push(`${entry.wrong} WRONG (lost or duplicated events)`);
  if (entry.late > 0) notes.push(`${entry.late} late (events still missing at the deadline)`);
  if (entry.failed > 0) notes.push(`${entry.failed} failed`);
  return `${entry.ok}/${runs}${notes.length > 0 ? `, ${notes.join(', ')}` : ''}`;
}

function missingCell(entry) {
  if (entry.wrong > 0) return '**WRONG**';
  return entry.late > 0 ? '**late**' : 'failed';
}

/** "Node v24.11.0, AMD EPYC (2 cores)": the line every table carries. */
export function stamp(host) {
  return `Node ${host.node}, ${host.cpu} (${host.cores} cores, ${host.memoryGiB} GiB)`;
}

/**
 * A table: one row per implementation, the figure, and its ratios to raw node:http, to
 * better-sse and to the row's own framework writing by hand, all measured in the same run.
 */
function table({ results, implementations, labels, metric, field, unit, format, runs }) {
  const lines = [
    `| implementation | ${unit} | vs raw node:http | vs better-sse | vs its framework by hand | right runs |`,
    '|---|---:|---:|---:|---:|---|',
  ];
  const raw = figure(results, 'raw-node', metric, field);
  const better = figure(results, 'better-sse', metric, field);
  for (const impl of implementations) {
    const entry = results[impl]?.[metric];
    if (entry === undefined) continue;
    const value = figure(results, impl, metric, field);
    const shown = value === undefined ? missingCell(entry) : format(value);
    const ratio = (base) => (value === undefined || base === undefined ? undefined : value / base);
    const framework = FRAMEWORK_OF[impl] && figure(results, FRAMEWORK_OF[impl], metric, field);
    lines.push(
      `| ${labels[impl] ?? impl} | ${shown} | ${times(ratio(raw))} | ${times(ratio(better))} | ${times(ratio(framework))} | ${runsCell(entry, runs)} |`,
    );
  }
  return lines.join('\n');
}

/** Issue 2: the four ways of moving an SseStream's bytes to a Node response, side by side. */
const WRITERS = ['ssekit-node', 'writer-reader-loop', 'writer-fromweb-pipe', 'writer-pipeto'];

function writerLines(results, labels) {
  const lines = [
    '| writer | one client events/s | paced fan-out (crowd) events/s | burst fan-out (crowd) events/s | p99 ms (crowd) |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const impl of WRITERS) {
    if (results[impl] === undefined) continue;
    const cell = (metric, field, format) => format(figure(results, impl, metric, field));
    lines.push(
      `| ${labels[impl] ?? impl} | ${cell('stream.oneClient', 'rate', int)} | ${cell('crowd.paced', 'rate', int)} | ${cell('crowd.burst', 'rate', int)} | ${cell('crowd.latency', 'p99', ms)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * "met", or "missed by N%": how far the ratio is from the bound, as a share of the bound
 * (0.94x against ≥ 1.0x is 6% short; 1.38x against ≤ 1.15x is 20% over).
 */
export function verdict(ratio, target) {
  if (target.atLeast !== undefined) {
    return ratio >= target.atLeast
      ? 'met'
      : `**missed** by ${Math.round((1 - ratio / target.atLeast) * 100)}%`;
  }
  return ratio <= target.atMost
    ? 'met'
    : `**missed** by ${Math.round((ratio / target.atMost - 1) * 100)}%`;
}

/**
 * Every target checked against every pair it names, at every size it names: a verdict when both
 * rows have a right run, "no right run" when a row was measured but none of its runs counted, and
 * nothing (counted apart) when a row or session was not in this run.
 */
export function checkTargets(results, targets = TARGETS) {
  const checks = [];
  const notRun = new Map();
  for (const target of targets) {
    for (const metric of target.metrics) {
      for (const [impl, reference] of target.pairs) {
        const entries = [results[impl]?.[metric], results[reference]?.[metric]];
        if (entries.some((entry) => entry === undefined)) {
          notRun.set(target, (notRun.get(target) ?? 0) + 1);
          continue;
        }
        const value = figure(results, impl, metric, target.field);
        const base = figure(results, reference, metric, target.field);
        const check = { target, metric, impl, reference };
        if (value === undefined || base === undefined) {
          const [row, entry] = value === undefined ? [impl, entries[0]] : [reference, entries[1]];
          checks.push({ ...check, verdict: `**no right run** (${row}: ${missingCell(entry)})` });
          continue;
        }
        const ratio = value / base;
        const cost = (row) => figure(results, row, metric, 'cpuPerEvent');
        const cpuRatio = target.field === 'rate' ? cost(reference) / cost(impl) : undefined;
        checks.push({ ...check, ratio, cpuRatio, verdict: verdict(ratio, target) });
      }
    }
  }
  return { checks, notRun };
}

/** What issue 16 asks that this table cannot show, and where it is measured instead. */
const ELSEWHERE = [
  '100,000 idle connections (memory, heartbeat tick, broadcast to all): `npm run bench:scale`, `SCALE-node<major>.md`.',
  'Memory flat over a 10-minute soak: `npm run soak`.',
  'Where each byte of an idle connection goes (heap snapshot by constructor): `bench/heap-per-connection.mjs`.',
  'The fetch entry under `@hono/node-server` within 0.9x of openSseStream: cannot apply here, no row serves the fetch entry on `@hono/node-server` (the fetch entry row runs on srvx).',
  'One client ≥ 1.0x raw "on every Node line": each `RESULTS-node<major>.md` checks its own line.',
];

function targetLines(results, labels, config) {
  const lines = [
    '| target | workload and size | implementation | against | measured | server CPU/event, reference ÷ row | verdict |',
    '|---|---|---|---|---:|---:|---|',
  ];
  const { checks, notRun } = checkTargets(results);
  for (const check of checks) {
    const { target } = check;
    const bound = target.atLeast !== undefined ? `≥ ${target.atLeast}x` : `≤ ${target.atMost}x`;
    lines.push(
      `| ${target.title} ${bound} | ${describeMetric(check.metric, config)} | ${labels[check.impl] ?? check.impl} | ${labels[check.reference] ?? check.reference} | ${times(check.ratio)} | ${times(check.cpuRatio)} | ${check.verdict} |`,
    );
  }
  if (notRun.size > 0) {
    lines.push('', 'Not measured in this run (a row or a session left out):', '');
    for (const [target, pairs] of notRun) lines.push(`- ${target.title}: ${pairs} pair(s)`);
  }
  lines.push('', 'Not in this table:', '', ...ELSEWHERE.map((line) => `- ${line}`));
  return lines.join('\n');
}

/** "one publish per macrotask, 1,000 clients": what a metric measured. */
function describeMetric(metric, config) {
  const [session, phase] = metric.split('.');
  const clients = config[session]?.clients;
  const size = clients === undefined ? '' : `, ${count(clients)} clients`;
  if (phase in WORKLOADS) return `${WORKLOADS[phase]}${size}`;
  if (phase === 'latency') {
    const { intervalMs, events } = probesOf(session, config);
    return `${WORKLOADS.paced}, ${events} probes, one every ${intervalMs} ms${size}`;
  }
  if (phase === 'memory') return `idle${size}`;
  if (phase === 'oneClient') return 'one client, as fast as backpressure allows';
  return metric;
}

/** A session's latency probes (`config.latency` in runs saved before each session had its own). */
function probesOf(session, config) {
  return config[session]?.latency ?? config.latency;
}

/** The machine and Node version the run is measured on. */
export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((value) => Number(value.toFixed(2))),
  };
}

/** `lines` when some implementation has a figure for `metric`, else nothing. */
function measured(common, metric, lines) {
  return common.implementations.some((impl) => common.results[impl]?.[metric]) ? lines : [];
}

/** The fan-out sections: for each size, the paced workload, then the burst. */
function fanOutSections(common, config, host) {
  const sections = [];
  for (const session of ['crowd', 'memory', 'large']) {
    const { clients, events } = config[session];
    for (const phase of ['paced', 'burst']) {
      const metric = `${session}.${phase}`;
      sections.push(
        ...measured(common, metric, [
          `### Fan-out, ${WORKLOADS[phase]}, ${count(clients)} clients, ${events} events (${stamp(host)})`,
          '',
          table({ ...common, metric, field: 'rate', unit: 'events/s', format: int }),
          '',
          table({
            ...common,
            metric,
            field: 'cpuPerEvent',
            unit: 'server CPU ns/event',
            format: int,
          }),
          '',
        ]),
      );
    }
  }
  return sections;
}

function latencySections(common, config, host) {
  const sections = [
    `## Latency, ${WORKLOADS.paced}`,
    '',
    'Receive time minus the time the probe was due (both on the shared monotonic clock), over every',
    'event on every client. Warm-up probes go first and are checked (none lost, none extra) but not',
    'timed. Lower is better. The probes are paced per size so that the fastest rows send well under',
    "one core's worth of events (a probe every 10 ms to 1,000 clients kept every row near 100% of a",
    'core, and the p99 measured the queue); the server CPU column is the share of one core the',
    'server used while sending them: near 100%, latency is mostly the wait for its turn.',
    '',
  ];
  const before = sections.length;
  for (const session of ['few', 'crowd']) {
    const metric = `${session}.latency`;
    if (measured(common, metric, [true]).length === 0) continue;
    const { warmup } = probesOf(session, config);
    const heading = `${describeMetric(metric, config)}, after ${warmup} warm-up probes (${stamp(host)})`;
    sections.push(`### Latency, ${heading}`, '', latencyTable({ ...common, metric }), '');
  }
  return sections.length === before ? [] : sections;
}

/** p99 (with its ratios), p50 and the server's CPU share beside them, per row. */
function latencyTable({ results, implementations, labels, metric, runs }) {
  const lines = [
    '| implementation | p99 ms | p99 vs raw node:http | p99 vs better-sse | p99 vs its framework by hand | p50 ms | server CPU | right runs |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  const raw = figure(results, 'raw-node', metric, 'p99');
  const better = figure(results, 'better-sse', metric, 'p99');
  for (const impl of implementations) {
    const entry = results[impl]?.[metric];
    if (entry === undefined) continue;
    const p99 = figure(results, impl, metric, 'p99');
    const ratio = (base) => (p99 === undefined || base === undefined ? undefined : p99 / base);
    const framework = FRAMEWORK_OF[impl] && figure(results, FRAMEWORK_OF[impl], metric, 'p99');
    const shown = p99 === undefined ? missingCell(entry) : ms(p99);
    lines.push(
      `| ${labels[impl] ?? impl} | ${shown} | ${times(ratio(raw))} | ${times(ratio(better))} | ${times(ratio(framework))} | ${ms(figure(results, impl, metric, 'p50'))} | ${percent(figure(results, impl, metric, 'serverCpu'))} | ${runsCell(entry, runs)} |`,
    );
  }
  return lines.join('\n');
}

export function buildReport({
  config,
  quick,
  results,
  broken,
  implementations,
  labels,
  seconds,
  host = machine(),
}) {
  const runs = config.runs;
  const common = { results, implementations, labels, runs };
  const memoryClients = count(config.memory.clients);
  const sections = [
    `# ssekit benchmarks, Node ${host.node}`,
    '',
    `Measured ${host.date} on ${host.cpu} (${host.cores} cores, ${host.memoryGiB} GiB, ${host.os}), Node ${host.node}. ` +
      `${quick ? 'QUICK run (small sizes, one run): not figures to quote.' : `${runs} runs per figure, medians.`} ` +
      `Wall time ${Math.round(seconds)} s. Reproduce with \`npm run bench -- --node=${host.node.replace(/^v(\d+).*/, '$1')}\` (see \`bench/README.md\`).`,
    '',
    `The machine is shared: its load average (1, 5, 15 min) was ${host.loadAverageAtStart?.join(', ') ?? '?'} at the start of the run and ${host.loadAverage?.join(', ') ?? '?'} at the end.`,
    'Every ratio compares two rows of this one run; latency percentiles move with the load more than anything else.',
    '',
    'Each server runs in its own process, the load client in another, over 127.0.0.1. The client',
    'uses raw `net` sockets and counts event terminators on every connection: a run in which any',
    'client lost or received an extra event is reported as WRONG, one in which events were still',
    'missing at the deadline as late; neither enters the medians.',
    'Heartbeats and initial `retry` fields are off everywhere. Broadcasts send a ~100-byte JSON',
    'object: raw node:http and ssekit serialize it once, better-sse per session (its `Channel.broadcast`),',
    'h3 and Hono get the string serialized once, @fastify/sse serializes per `send`.',
    '',
    '## The two workloads',
    '',
    `- **${WORKLOADS.paced}**: each broadcast is sent from its own \`setImmediate\` callback, so the`,
    '  event loop polls I/O between two broadcasts and every socket gets one event per write, as',
    '  when an application publishes from separate I/O callbacks (a sensor reading, a chat message,',
    '  a token). Latency probes are paced the same way (a timer each, `setImmediate` when overdue).',
    `- **${WORKLOADS.burst}**: every broadcast of the phase in one synchronous loop. A library that`,
    '  writes all the events queued for a socket as one chunk per turn (ssekit does) sends one write',
    '  per socket for the whole burst; raw node:http writes once per event per socket.',
    '',
    'Fan-out figures are events delivered per second, from the first broadcast until every client',
    'has every event, and below each table the CPU time the server process used per delivered event',
    '(lower is better). The load client shares the two cores: in the paced workload it reads one',
    'event per read on every socket, which slows every row alike and pulls the rates together; the',
    "server's CPU per event is the figure the client cannot blur.",
    '',
    '## Fan-out',
    '',
    ...fanOutSections(common, config, host),
    ...measured(common, 'memory.memory', [
      `## Memory per idle connection, ${memoryClients} clients (${stamp(host)})`,
      '',
      'Server RSS and `heapUsed` after GC with every client connected, minus the empty server, per',
      'connection. Lower is better; the ratios are value ÷ reference.',
      '',
      table({
        ...common,
        metric: 'memory.memory',
        field: 'rssPerConnection',
        unit: 'RSS KiB/conn',
        format: kb,
      }),
      '',
      table({
        ...common,
        metric: 'memory.memory',
        field: 'heapPerConnection',
        unit: 'heap KiB/conn',
        format: kb,
      }),
      '',
    ]),
    ...measured(common, 'stream.oneClient', [
      `## One client, ${count(config.stream.events)} small events as fast as backpressure allows (${stamp(host)})`,
      '',
      'Events per second from the request to the last event (token streaming).',
      '',
      table({
        ...common,
        metric: 'stream.oneClient',
        field: 'rate',
        unit: 'events/s',
        format: int,
      }),
      '',
    ]),
    ...latencySections(common, config, host),
    ...measured(common, 'redis.burst', [
      `## Through Redis: 2 instances, ${count(config.redis.clients)} clients each, publishing on one (${stamp(host)})`,
      '',
      'The hub on `@ssekit/redis` (one Redis stream, node-redis 5) behind `@ssekit/express`. A burst of',
      `${config.redis.events} publishes, then ${probesOf('redis', config).events} probes, one every ${probesOf('redis', config).intervalMs} ms; every client of both instances must get every event.`,
      '',
      table({ ...common, metric: 'redis.burst', field: 'rate', unit: 'events/s', format: int }),
      '',
      table({ ...common, metric: 'redis.latency', field: 'p50', unit: 'p50 ms', format: ms }),
      '',
      table({ ...common, metric: 'redis.latency', field: 'p99', unit: 'p99 ms', format: ms }),
      '',
    ]),
    ...(WRITERS.slice(1).some((impl) => results[impl] !== undefined)
      ? [
          `## Node writer options (issue 2) (${stamp(host)})`,
          '',
          '(a) is `openSseStream`: the stream writes straight to the response, every response with',
          'queued bytes flushed by one shared setImmediate. (b)-(d) drain `stream.readable` instead.',
          '',
          writerLines(results, labels),
          '',
        ]
      : []),
    `## Targets (issue 16) (${stamp(host)})`,
    '',
    'Ratios of two rows of this run, medians of the right runs. "Missed by N%" is how far the ratio',
    'is from the bound, as a share of the bound. Beside each events-per-second ratio, the ratio of',
    "the two servers' CPU per delivered event (above 1: the row spends less than its reference), the",
    'figure the load client sharing the cores cannot blur.',
    '',
    'The burst bound (the hub ≥ 2x raw node:http) asks the hub to keep the lead the README once',
    'showed. It is checked as measured: where it is missed with a CPU ratio near 1, raw node:http',
    'spends about what the hub spends per event in a burst, and the lead is not there to keep.',
    '',
    targetLines(results, labels, config),
  ];
  if (broken.size > 0) {
    sections.push('', '## Implementations that did not start', '');
    for (const [impl, message] of broken) sections.push(`- ${impl}: ${message}`);
  }
  const markdown = `${sections.join('\n')}\n`;
  return {
    markdown,
    json: { machine: host, quick, config, labels, seconds, broken: [...broken], results },
  };
}

/**
 * `--check` (`npm run bench:ci`): whether every row delivered every event in every phase. No
 * speed is shown, since none is asserted.
 */
export function buildCheckReport({ results, implementations, labels, seconds, host = machine() }) {
  const lines = [
    `# ssekit bench check, ${stamp(host)}`,
    '',
    `Every phase once at a small size; ${Math.round(seconds)} s. Speed is not measured here.`,
    '',
    '| implementation | phase | every event, exactly once |',
    '|---|---|---|',
  ];
  for (const impl of implementations) {
    for (const [metric, entry] of Object.entries(results[impl] ?? {})) {
      const outcome = entry.ok > 0 ? 'yes' : missingCell(entry);
      lines.push(`| ${labels[impl] ?? impl} | ${metric} | ${outcome} |`);
    }
  }
  return { markdown: `${lines.join('\n')}\n`, json: {} };
}
