#!/usr/bin/env node
/**
 * `npm run bench:scale`: idle connections at 1k, 10k, 50k and 100k for ssekit (hub +
 * `openSseStream`) and raw node:http: RSS and heap per connection, the CPU the heartbeats take,
 * and the time to broadcast one event to every connection. Writes bench/SCALE-node<major>.md.
 *
 * One process may hold 20,000 open files on this machine (a hard limit `ulimit` cannot raise), so
 * a size above PER_PROCESS connections runs on several server processes, each with its own
 * port and its own in-process hub, and as many client processes, each from its own source
 * address 127.0.0.x (its own ephemeral ports). A broadcast is one publish in every server
 * process, signalled at once, as a broker would deliver it; it is timed from the first publish
 * to the last connection's event, on the monotonic clock every process shares.
 *
 *   npm run bench:scale                              1k, 10k, 50k, 100k; raw and ssekit
 *   npm run bench:scale -- --sizes=1000,10000        other sizes (writes nothing unless --write)
 *   npm run bench:scale -- --node=26                 on /opt/node26
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeHeadline } from './headline.mjs';
import { rpc, stopper } from './lib/processes.mjs';
import { reexecWhenNeeded } from './lib/reexec.mjs';
import { machine, stamp, times, verdict } from './lib/report.mjs';
import { median } from './lib/stats.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
/** Connections per server process and per client process: under 20,000 open files with room. */
const PER_PROCESS = 17_000;
/** Connections per client source address (127.0.0.x): binding a source port slows as one fills. */
const PER_ADDRESS = 4_000;
const DEFAULT_SIZES = [1_000, 10_000, 50_000, 100_000];
const KINDS = { raw: 'raw node:http', ssekit: 'ssekit hub + openSseStream' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const count = (value) => value.toLocaleString('en-US');

function parseArgs(argv) {
  const flags = new Map(
    argv.map((arg) => {
      const [key, value = 'true'] = arg.replace(/^--/, '').split('=');
      return [key, value];
    }),
  );
  const numbers = (key, fallback) =>
    flags.has(key) ? flags.get(key).split(',').map(Number) : fallback;
  const sizes = numbers('sizes', DEFAULT_SIZES);
  for (const size of sizes) {
    if (!Number.isSafeInteger(size) || size < 1 || size > 200_000)
      throw new TypeError(`bench:scale: --sizes takes whole numbers of 1 to 200,000, got ${size}`);
  }
  return {
    sizes,
    kinds: flags.has('kinds') ? flags.get('kinds').split(',') : Object.keys(KINDS),
    heartbeatMs: numbers('heartbeat', [2_000])[0],
    heartbeatIntervals: 5,
    broadcasts: numbers('broadcasts', [3])[0],
    node: flags.get('node'),
    write: flags.has('write') || !flags.has('sizes'),
    /** The whole run stops by itself after this long. */
    deadlineMs: numbers('minutes', [40])[0] * 60_000,
  };
}

/** `total` split into as few near-equal shares of at most PER_PROCESS as possible. */
function shares(total) {
  const parts = Math.ceil(total / PER_PROCESS);
  return Array.from({ length: parts }, (_, i) => Math.floor((total + i) / parts));
}

function startChild(script, args, label) {
  const child = fork(new URL(script, import.meta.url), args, {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return { child, call: rpc(child, label), stop: stopper(child) };
}

function startServer(kind, heartbeatMs, index) {
  const server = startChild(
    './lib/scale-server.mjs',
    [kind, String(heartbeatMs)],
    `server ${index}`,
  );
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`server ${index} did not start`)), 20_000);
    server.child.on('message', (message) => {
      if (!message.ready) return;
      clearTimeout(timeout);
      resolve({ ...server, port: message.port, empty: message.empty });
    });
    server.child.once('exit', (code) => reject(new Error(`server ${index} exited with ${code}`)));
  });
}

async function subscribed(server, expected, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const subscribers = await server.call('subscribers');
    if (subscribers === expected) return;
    if (Date.now() > deadline) throw new Error(`server has ${subscribers}/${expected} subscribers`);
    await sleep(100);
  }
}

/** One event published in every server process at once; ms until every connection had it. */
async function broadcastOnce(servers, clients, seq) {
  await Promise.all(clients.map((client) => client.call('arm', { timeoutMs: 60_000 })));
  const sent = await Promise.all(servers.map((server) => server.call('broadcast', { seq })));
  const outcomes = await Promise.all(clients.map((client) => client.call('outcome')));
  const lost = outcomes.reduce((sum, outcome) => sum + outcome.lost, 0);
  const duplicated = outcomes.reduce((sum, outcome) => sum + outcome.duplicated, 0);
  if (lost > 0 || duplicated > 0)
    throw new Error(`broadcast ${seq}: ${lost} connections missed it, ${duplicated} extra`);
  const firstSent = Math.min(...sent.map((s) => s.startedAt));
  const lastDone = Math.max(...outcomes.map((o) => o.doneAt));
  return {
    ms: (lastDone - firstSent) / 1000,
    perProcessMs: outcomes.map((outcome, i) => (outcome.doneAt - sent[i].startedAt) / 1000),
  };
}

/** Every figure for `kind` at `total` connections. */
async function measure(kind, total, options) {
  const parts = shares(total);
  const servers = await Promise.all(parts.map((_, i) => startServer(kind, options.heartbeatMs, i)));
  const clients = parts.map((_, i) => startChild('./lib/scale-client.mjs', [], `client ${i}`));
  try {
    const connectStarted = Date.now();
    let nextAddress = 2;
    const addressesFor = (connections) =>
      Array.from(
        { length: Math.ceil(connections / PER_ADDRESS) },
        () => `127.0.0.${nextAddress++}`,
      );
    await Promise.all(
      clients.map((client, i) =>
        client.call('connect', {
          port: servers[i].port,
          localAddresses: addressesFor(parts[i]),
          count: parts[i],
          // Every client process connects at once; on a busy 2-core machine that is slow.
          timeoutMs: Math.max(120_000, parts[i] * 40),
        }),
      ),
    );
    await Promise.all(servers.map((server, i) => subscribed(server, parts[i])));
    const connectSeconds = (Date.now() - connectStarted) / 1000;
    await sleep(1_000);
    const loaded = await Promise.all(servers.map((server) => server.call('memory')));
    const perProcess = servers.map((server, i) => ({
      connections: parts[i],
      rssPerConnection: (loaded[i].rss - server.empty.rss) / parts[i],
      heapPerConnection: (loaded[i].heapUsed - server.empty.heapUsed) / parts[i],
    }));
    const broadcasts = [];
    for (let seq = 0; seq < options.broadcasts; seq++) {
      broadcasts.push(await broadcastOnce(servers, clients, seq));
      await sleep(500);
    }
    const windowMs = options.heartbeatMs * options.heartbeatIntervals;
    const beats = await Promise.all(
      servers.map((server) => server.call('heartbeats', { ms: windowMs })),
    );
    beats.forEach((beat, i) => {
      perProcess[i].heartbeatCpuMs = beat.cpuMicros / 1000 / options.heartbeatIntervals;
      perProcess[i].maxStallMs = beat.maxStallMs;
      perProcess[i].broadcastMs = median(broadcasts.map((b) => b.perProcessMs[i]));
    });
    const sum = (field) => perProcess.reduce((total, p) => total + p[field] * p.connections, 0);
    return {
      kind,
      total,
      processes: parts.length,
      connectSeconds,
      rssPerConnection: sum('rssPerConnection') / total,
      heapPerConnection: sum('heapPerConnection') / total,
      heartbeatCpuMs: perProcess.reduce((total, p) => total + p.heartbeatCpuMs, 0),
      heartbeatCpuMsMaxProcess: Math.max(...perProcess.map((p) => p.heartbeatCpuMs)),
      maxStallMs: Math.max(...perProcess.map((p) => p.maxStallMs)),
      broadcastMs: median(broadcasts.map((b) => b.ms)),
      perProcess,
    };
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
    await Promise.all(servers.map((server) => server.stop()));
  }
}

const kb = (bytes) => (bytes / 1024).toFixed(1);
const ms = (value) => value.toFixed(1);

function report(rows, options, host, seconds) {
  const byKey = new Map(rows.map((row) => [`${row.kind}:${row.total}`, row]));
  const lines = [
    `# ssekit at scale, Node ${host.node}`,
    '',
    `Measured ${host.date} on ${stamp(host)}, ${host.os}. Wall time ${Math.round(seconds)} s; load average ${host.loadAverageAtStart.join(', ')} at the start, ${host.loadAverage.join(', ')} at the end. Reproduce with \`npm run bench:scale\` (see \`bench/README.md\`).`,
    '',
    `Idle SSE connections with a heartbeat every ${count(options.heartbeatMs)} ms. Raw node:http keeps a Set of responses`,
    'and one timer writing a comment to each; ssekit subscribes every `openSseStream` to one hub topic',
    'and keeps them alive with its shared heartbeat ticker (a quarter-interval timer; a stream beats',
    'after four idle ticks).',
    '',
    `**Not one process.** This machine caps open files at 20,000 per process (a hard limit), so a size`,
    `above ${count(PER_PROCESS)} connections runs on several independent server processes (${count(PER_PROCESS)} or fewer`,
    'connections each, each on its own port with its own in-process hub; not node:cluster, not the',
    `Redis hub) and as many client processes, at most ${count(PER_ADDRESS)} connections per source address 127.0.0.x. The`,
    'broadcast is one publish in every server process, signalled at once (as a broker delivers it),',
    'timed from the first publish to the last connection receiving it. Memory is the sum over the',
    'processes divided by the connections; the heartbeat CPU is the sum over the processes (what one',
    'process would spend, near enough), with the busiest process beside it. Every process figure is',
    'below the table.',
    '',
    `## The curve (${stamp(host)})`,
    '',
    '| server | connections | server processes | RSS KiB/conn | heap KiB/conn | heartbeat CPU per interval, all processes (ms) | busiest process (ms) | longest event-loop stall (ms) | broadcast one event to all (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${KINDS[row.kind]} | ${count(row.total)} | ${row.processes} | ${kb(row.rssPerConnection)} | ${kb(row.heapPerConnection)} | ${ms(row.heartbeatCpuMs)} | ${ms(row.heartbeatCpuMsMaxProcess)} | ${ms(row.maxStallMs)} | ${ms(row.broadcastMs)} |`,
    );
  }
  lines.push(
    '',
    `The heartbeat CPU is the CPU the server processes used over ${options.heartbeatIntervals} intervals of idle connections, per`,
    'interval: the cost of keeping every connection alive once. The stall is the longest the event loop',
    'was held up meanwhile (the longest tick, plus any wait for a core on a busy machine). The',
    `broadcast time is the median of ${options.broadcasts}.`,
    '',
    `## ssekit against raw node:http (${stamp(host)})`,
    '',
    '| connections | RSS per connection | heap per connection | heartbeat CPU | broadcast to all |',
    '|---:|---:|---:|---:|---:|',
  );
  for (const total of options.sizes) {
    const raw = byKey.get(`raw:${total}`);
    const ssekit = byKey.get(`ssekit:${total}`);
    if (raw === undefined || ssekit === undefined) continue;
    const ratio = (field) => times(ssekit[field] / raw[field]);
    lines.push(
      `| ${count(total)} | ${ratio('rssPerConnection')} | ${ratio('heapPerConnection')} | ${ratio('heartbeatCpuMs')} | ${ratio('broadcastMs')} |`,
    );
  }
  lines.push('', ...targetLines(byKey, options), '', `## Every process (${stamp(host)})`, '');
  lines.push(
    '| server | connections | process | its connections | RSS KiB/conn | heap KiB/conn | heartbeat CPU per interval (ms) | longest stall (ms) | broadcast to its connections (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of rows) {
    row.perProcess.forEach((p, i) => {
      lines.push(
        `| ${KINDS[row.kind]} | ${count(row.total)} | ${i + 1} | ${count(p.connections)} | ${kb(p.rssPerConnection)} | ${kb(p.heapPerConnection)} | ${ms(p.heartbeatCpuMs)} | ${ms(p.maxStallMs)} | ${ms(p.broadcastMs)} |`,
      );
    });
  }
  return `${lines.join('\n')}\n`;
}

/** Issue 16's targets at the largest size measured. */
function targetLines(byKey, options) {
  const total = Math.max(...options.sizes);
  const raw = byKey.get(`raw:${total}`);
  const ssekit = byKey.get(`ssekit:${total}`);
  if (raw === undefined || ssekit === undefined) return [];
  const rss = ssekit.rssPerConnection / raw.rssPerConnection;
  const heap = ssekit.heapPerConnection / raw.heapPerConnection;
  const broadcast = ssekit.broadcastMs / raw.broadcastMs;
  return [
    `## Targets (issue 16) at ${count(total)} connections`,
    '',
    '| target | measured | verdict |',
    '|---|---:|---|',
    `| RSS per connection ≤ 1.15x raw | ${times(rss)} | ${verdict(rss, { atMost: 1.15 })} |`,
    `| heap per connection ≤ 1.15x raw | ${times(heap)} | ${verdict(heap, { atMost: 1.15 })} |`,
    `| heartbeat CPU per interval under 50 ms, all processes | ${ms(ssekit.heartbeatCpuMs)} ms | ${verdict(ssekit.heartbeatCpuMs, { atMost: 50 })} |`,
    `| heartbeat, longest event-loop stall under 50 ms | ${ms(ssekit.maxStallMs)} ms | ${verdict(ssekit.maxStallMs, { atMost: 50 })} |`,
    `| broadcast to all within 2x raw | ${times(broadcast)} | ${verdict(broadcast, { atMost: 2 })} |`,
  ];
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  reexecWhenNeeded(options.node, Math.min(PER_PROCESS, Math.max(...options.sizes)) + 1_000);
  const deadline = setTimeout(() => {
    console.error(`bench:scale: stopped after ${options.deadlineMs / 60_000} minutes`);
    process.exit(1);
  }, options.deadlineMs);
  const loadAverageAtStart = os.loadavg().map((value) => Number(value.toFixed(2)));
  console.log(`bench:scale: Node ${process.version} (${process.execPath})`);
  const started = Date.now();
  const rows = [];
  for (const total of options.sizes) {
    for (const kind of options.kinds) {
      const row = await measure(kind, total, options);
      rows.push(row);
      const { perProcess, ...figures } = row;
      console.log(`bench:scale: ${kind} ${count(total)}: ${JSON.stringify(figures)}`);
    }
  }
  clearTimeout(deadline);
  const host = { ...machine(), loadAverageAtStart };
  const markdown = report(rows, options, host, (Date.now() - started) / 1000);
  console.log(`\n${markdown}`);
  if (options.write) {
    const out = `${BENCH}SCALE-node${process.versions.node.split('.')[0]}`;
    writeFileSync(`${out}.md`, markdown);
    writeFileSync(`${out}.json`, `${JSON.stringify({ machine: host, options, rows }, null, 2)}\n`);
    console.log(`bench:scale: wrote ${out}.md and ${out}.json`);
    writeHeadline();
  }
}

await main();
