/** The markdown tables of RESULTS.md and the JSON beside them, from the medians of the runs. */
import os from 'node:os';

/** The targets of issue 8, checked against every implementation they name that was measured. */
const NODE_PATH = ['ssekit-node', 'ssekit-express', 'ssekit-koa'];
const HUB = ['ssekit-hub-express', 'ssekit-hub-koa'];
const WEB_PATH = ['ssekit-fetch', 'ssekit-h3'];
const WEB_PEERS = ['h3-eventstream', 'hono-streamsse'];

const TARGETS = [
  ...['fanoutCrowd', 'fanoutMemory'].flatMap((metric) => [
    { metric, impls: HUB, against: ['raw-node'], atLeast: 1.0 },
    { metric, impls: HUB, against: ['better-sse'], atLeast: 1.5 },
  ]),
  {
    metric: 'memory',
    field: 'rssPerConnection',
    impls: NODE_PATH,
    against: ['raw-node'],
    atMost: 1.15,
  },
  { metric: 'stream', impls: NODE_PATH, against: ['raw-node'], atLeast: 0.8 },
  {
    metric: 'latency',
    field: 'p99',
    impls: [...NODE_PATH, ...HUB],
    against: ['raw-node'],
    atMost: 1.2,
  },
  { metric: 'fanoutCrowd', impls: WEB_PATH, against: WEB_PEERS, atLeast: 1.5 },
  { metric: 'fanoutMemory', impls: WEB_PATH, against: WEB_PEERS, atLeast: 1.5 },
  { metric: 'stream', impls: WEB_PATH, against: WEB_PEERS, atLeast: 1.5 },
  { metric: 'memory', field: 'rssPerConnection', impls: WEB_PATH, against: WEB_PEERS, atMost: 1.0 },
];

/**
 * Not targets of the issue: each adapter against its own framework writing raw bytes, which
 * separates what ssekit costs from what Express, Koa or Fastify cost per connection.
 */
const FRAMEWORK_CHECKS = [
  ['ssekit-express', 'raw-express'],
  ['ssekit-koa', 'raw-koa'],
  ['ssekit-fastify', 'raw-fastify'],
  ['ssekit-hub-express', 'raw-express'],
  ['ssekit-hub-koa', 'raw-koa'],
].flatMap(([impl, framework]) => [
  {
    metric: 'memory',
    field: 'rssPerConnection',
    impls: [impl],
    against: [framework],
    atMost: 1.15,
  },
  { metric: 'latency', field: 'p99', impls: [impl], against: [framework], atMost: 1.2 },
]);

const METRIC_TITLES = {
  fanoutCrowd: 'fan-out at the crowd size',
  fanoutMemory: 'fan-out at the memory size',
  memory: 'memory per idle connection (RSS)',
  stream: 'one-client throughput',
  latency: 'latency p99',
};

const int = (value) => (value === undefined ? '–' : Math.round(value).toLocaleString('en-US'));
const kb = (bytes) => (bytes === undefined ? '–' : (bytes / 1024).toFixed(1));
const percent = (share) => (share === undefined ? '–' : `${Math.round(share * 100)}%`);
const ms = (value) => (value === undefined ? '–' : value.toFixed(2));
const times = (value) =>
  value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}x`;

/** The figure of `impl` for `metric`, or undefined when it has no right run. */
function figure(results, impl, metric, field) {
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

/** A table: one row per implementation, the figure, and its ratio to raw Node and better-sse. */
function table({
  results,
  implementations,
  labels,
  metric,
  field,
  unit,
  format,
  runs,
  lowerIsBetter,
}) {
  const lines = [
    `| implementation | ${unit} | vs raw node:http | vs better-sse | right runs |`,
    '|---|---:|---:|---:|---|',
  ];
  const raw = figure(results, 'raw-node', metric, field);
  const better = figure(results, 'better-sse', metric, field);
  for (const impl of implementations) {
    const entry = results[impl]?.[metric];
    if (entry === undefined) continue;
    const value = figure(results, impl, metric, field);
    const shown = value === undefined ? missingCell(entry) : format(value);
    const ratio = (base) => (value === undefined || base === undefined ? undefined : value / base);
    lines.push(
      `| ${labels[impl] ?? impl} | ${shown} | ${times(ratio(raw))} | ${times(ratio(better))} | ${runsCell(entry, runs)} |`,
    );
  }
  if (lowerIsBetter) lines.push('', '_Lower is better; the ratios are value ÷ reference._');
  return lines.join('\n');
}

/** Issue 2: the four ways of moving an SseStream's bytes to a Node response, side by side. */
const WRITERS = ['ssekit-node', 'writer-reader-loop', 'writer-fromweb-pipe', 'writer-pipeto'];

function writerLines(results, labels) {
  const lines = [
    '| writer | one client events/s | fan-out (crowd) events/s | fan-out (memory size) events/s | RSS KiB/conn | heap KiB/conn | p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const impl of WRITERS) {
    if (results[impl] === undefined) continue;
    const cell = (metric, field, format) => format(figure(results, impl, metric, field));
    lines.push(
      `| ${labels[impl] ?? impl} | ${cell('stream', 'rate', int)} | ${cell('fanoutCrowd', 'rate', int)} | ${cell('fanoutMemory', 'rate', int)} | ${cell('memory', 'rssPerConnection', kb)} | ${cell('memory', 'heapPerConnection', kb)} | ${cell('latency', 'p99', ms)} |`,
    );
  }
  return lines.join('\n');
}

function targetLines(results, labels, targets) {
  const lines = ['| target | implementation | measured | verdict |', '|---|---|---:|---|'];
  for (const target of targets) {
    const field = target.field ?? 'rate';
    for (const impl of target.impls) {
      const value = figure(results, impl, target.metric, field);
      if (value === undefined) continue;
      for (const reference of target.against) {
        const base = figure(results, reference, target.metric, field);
        if (base === undefined) continue;
        const ratio = value / base;
        const pass =
          target.atLeast !== undefined ? ratio >= target.atLeast : ratio <= target.atMost;
        const bound = target.atLeast !== undefined ? `≥ ${target.atLeast}x` : `≤ ${target.atMost}x`;
        lines.push(
          `| ${METRIC_TITLES[target.metric]} ${bound} ${labels[reference] ?? reference} | ${labels[impl] ?? impl} | ${times(ratio)} | ${pass ? 'met' : '**missed**'} |`,
        );
      }
    }
  }
  return lines.join('\n');
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
  const rate = (metric, unit) =>
    table({ ...common, metric, field: 'rate', unit, format: int, lowerIsBetter: false });
  const sections = [
    '# ssekit benchmarks',
    '',
    `Measured ${host.date} on ${host.cpu} (${host.cores} cores, ${host.memoryGiB} GiB, ${host.os}), Node ${host.node}. ` +
      `${quick ? 'QUICK run (small sizes, one run): not figures to quote.' : `${runs} runs per figure, medians.`} ` +
      `Wall time ${Math.round(seconds)} s. Reproduce with \`npm run bench\` (see \`bench/README.md\`).`,
    '',
    `The machine is shared: its load average (1, 5, 15 min) was ${host.loadAverageAtStart?.join(', ') ?? '?'} at the start of the run and ${host.loadAverage?.join(', ') ?? '?'} at the end.`,
    'Latency percentiles move with that load more than anything else; compare rows of one run only.',
    '',
    'Each server runs in its own process, the load client in another, over 127.0.0.1. The client',
    'uses raw `net` sockets and counts event terminators on every connection: a run in which any',
    'client lost or received an extra event is reported as WRONG, one in which events were still',
    'missing at the deadline (10 s after the last probe, 30-60 s for a burst) as late; neither',
    'enters the medians.',
    'Heartbeats and initial `retry` fields are off everywhere. Broadcasts send a ~100-byte JSON',
    'object: raw node:http and ssekit serialize it once, better-sse per session (its `Channel.broadcast`),',
    'h3 and Hono get the string serialized once, @fastify/sse serializes per `send`.',
    '',
    `## Fan-out, ${config.crowdClients.toLocaleString('en-US')} idle clients, a burst of ${config.crowdBurst.events} broadcasts`,
    '',
    'Events delivered per second, from the first broadcast until every client has every event.',
    'The burst is sent in one synchronous loop.',
    '',
    rate('fanoutCrowd', 'events/s'),
    '',
    `## Fan-out, ${config.memoryClients.toLocaleString('en-US')} idle clients, a burst of ${config.memoryBurst.events} broadcasts`,
    '',
    rate('fanoutMemory', 'events/s'),
    '',
    `## Memory per idle connection, ${config.memoryClients.toLocaleString('en-US')} clients`,
    '',
    'Server RSS and `heapUsed` after GC with every client connected, minus the empty server, per',
    'connection. Ratios are of RSS.',
    '',
    table({
      ...common,
      metric: 'memory',
      field: 'rssPerConnection',
      unit: 'RSS KiB/conn',
      format: kb,
      lowerIsBetter: true,
    }),
    '',
    table({
      ...common,
      metric: 'memory',
      field: 'heapPerConnection',
      unit: 'heap KiB/conn',
      format: kb,
      lowerIsBetter: true,
    }),
    '',
    `## One client, ${config.streamEvents.toLocaleString('en-US')} small events as fast as backpressure allows`,
    '',
    'Events per second from the request to the last event (token streaming).',
    '',
    rate('stream', 'events/s'),
    '',
    `## Latency, ${config.crowdClients.toLocaleString('en-US')} clients, one event every ${config.latency.intervalMs} ms (${config.latency.events} events)`,
    '',
    'Receive time minus send time (both on the shared monotonic clock), over every event on every',
    `client. ${config.latency.warmup} probes go first as a warm-up and are checked (none lost, none`,
    'extra) but not timed: after the idle spell before them, the first writes to every socket and',
    "the client's first parsing run cold, and that lag (60-140 ms where we looked, raw node:http",
    'included) would otherwise set the p99. See `bench/README.md`.',
    '',
    table({
      ...common,
      metric: 'latency',
      field: 'p99',
      unit: 'p99 ms',
      format: ms,
      lowerIsBetter: true,
    }),
    '',
    table({
      ...common,
      metric: 'latency',
      field: 'p50',
      unit: 'p50 ms',
      format: ms,
      lowerIsBetter: true,
    }),
    '',
    'The CPU the server used while sending the probes, as a share of one core: near 100%, the',
    'server has no spare time, and its latency is mostly the wait for its turn.',
    '',
    table({
      ...common,
      metric: 'latency',
      field: 'serverCpu',
      unit: 'server CPU',
      format: percent,
      lowerIsBetter: true,
    }),
    '',
    `## Through Redis: 2 instances, ${config.redisClients.toLocaleString('en-US')} clients each, publishing on one`,
    '',
    'The hub on `@ssekit/redis` (one Redis stream, node-redis 5) behind `@ssekit/express`. A burst of',
    `${config.redisBurst.events} publishes, then one publish every ${config.latency.intervalMs} ms; every client of both instances must get every event.`,
    '',
    table({ ...common, metric: 'redisFanout', field: 'rate', unit: 'events/s', format: int }),
    '',
    table({ ...common, metric: 'redisLatency', field: 'p50', unit: 'p50 ms', format: ms }),
    '',
    table({ ...common, metric: 'redisLatency', field: 'p99', unit: 'p99 ms', format: ms }),
    '',
    '## Node writer options (issue 2)',
    '',
    '(a) is `openSseStream`: the stream writes straight to the response, every response with',
    'queued bytes flushed by one shared setImmediate. (b)-(d) drain `stream.readable` instead.',
    '',
    writerLines(results, labels),
    '',
    '## Targets (issue 8)',
    '',
    targetLines(results, labels, TARGETS),
    '',
    '### The adapters against their own framework',
    '',
    'Express, Koa and Fastify cost memory and time per connection of their own (the raw-writes',
    'rows). The same bounds, measured against the framework writing bytes by hand instead of',
    'against node:http:',
    '',
    targetLines(results, labels, FRAMEWORK_CHECKS),
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
