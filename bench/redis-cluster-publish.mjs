#!/usr/bin/env node
/**
 * Publish throughput of `redisBroker` from one Node process to one Redis master against a Redis
 * Cluster of three masters, with the same partitions and the same events: how far the masters
 * being three raises what one process publishes, and what bounds it. The script starts its own
 * `redis-server` processes on free loopback ports (one standalone, three cluster masters without
 * replicas, no persistence) and kills them when it ends, also on an error, a signal or its time
 * limit. Events are ~100 bytes of JSON on 1,000 topics, published in turns of `--turn` (the
 * publishes of one turn share one script call per partition), `--in-flight` turns at a time;
 * `--partitions` spreads the topics over that many streams, which the cluster spreads over its
 * masters.
 *
 * Besides events a second it prints the CPU each process used during the timed publishes, from
 * /proc/<pid>/stat (this process and every redis-server), as a share of one core and per event,
 * and the whole machine's busy cores from /proc/stat: where the machine is busy to its last core,
 * the cores bound the ratio, not the masters. `ceilingPerSecond` is what the CPU per event
 * measured would allow with the cores to these processes alone; on 2 cores the sum of this
 * process's and the masters' CPU per event bounds the cluster, however many masters it has.
 *
 *   node bench/redis-cluster-publish.mjs [--events=50000] [--turn=1000] [--partitions=12] [--in-flight=2] [--runs=2] [--client=redis|ioredis|both] [--limit-s=180]
 *
 * Needs the packages built (`npm run build`), `redis-server` and `redis-cli` on PATH. Linux only
 * (/proc).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { redisBroker } from '@ssekit/redis';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';

const run = promisify(execFile);
const flags = process.argv.slice(2);
const option = (key, fallback) =>
  flags.find((flag) => flag.startsWith(`--${key}=`))?.split('=')[1] ?? fallback;
const events = Number(option('events', 50_000));
const turn = Number(option('turn', 1000));
const partitions = Number(option('partitions', 12));
const inFlight = Number(option('in-flight', 2));
const runs = Number(option('runs', 2));
const libraries = option('client', 'both') === 'both' ? ['redis', 'ioredis'] : [option('client')];
const limitMs = Number(option('limit-s', 180)) * 1000;
const TOPICS = 1000;
const data = JSON.stringify({ symbol: 'ABC', price: 12.5, at: Date.now(), note: 'x'.repeat(40) });
const TICKS = Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100;

const dir = mkdtempSync(join(tmpdir(), 'ssekit-bench-cluster-'));
/** Every redis-server started, to be killed however the script ends. */
const servers = [];
function killServers() {
  for (const { child } of servers) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', killServers);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`redis-cluster-publish: ${signal}, stopping the servers`);
    process.exit(130);
  });
}
setTimeout(() => {
  console.error(`redis-cluster-publish: over its ${limitMs / 1000} s limit, stopping`);
  process.exit(1);
}, limitMs).unref();

function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (+10000) exists and is free too, not handed out before. */
async function freePort() {
  for (;;) {
    const port = await new Promise((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port: given } = probe.address();
        probe.close(() => resolve(given));
      });
    });
    const taken = servers.some((server) => server.port === port);
    if (!taken && port + 10_000 <= 65_535 && (await portIsFree(port + 10_000))) return port;
  }
}

async function startServer(cluster) {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  args.push('--dir', dir, '--daemonize', 'no');
  if (cluster) {
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`));
  }
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const server = { port, child, role: cluster ? 'cluster master' : 'standalone' };
  servers.push(server);
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', resolve);
  });
  for (let tries = 0; ; tries++) {
    try {
      await run('redis-cli', ['-p', String(port), 'PING']);
      return server;
    } catch (error) {
      if (tries > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function clusterOk(port) {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO']);
  return stdout.includes('cluster_state:ok');
}

/** User + system CPU of a process so far, in seconds (/proc/<pid>/stat fields 14 and 15). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** The whole machine's busy and total jiffies so far (/proc/stat, first line). */
function machineJiffies() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const numbers = values.map(Number);
  const idle = numbers[3] + numbers[4];
  const total = numbers.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

async function connect(library, ports) {
  const cluster = ports.length > 1;
  if (library === 'ioredis') {
    const client = cluster
      ? new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })))
      : new Redis({ host: '127.0.0.1', port: ports[0] });
    return { client, close: () => client.disconnect() };
  }
  const client = cluster
    ? createCluster({ rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })) })
    : createClient({ url: `redis://127.0.0.1:${ports[0]}` });
  client.on('error', (error) => console.error('redis client', error));
  await client.connect();
  return { client, close: () => client.destroy() };
}

/**
 * `count` publishes in turns of `turn`, `inFlight` turns at a time: with one, this process
 * waits idle while the masters run a turn's scripts, and the masters wait while it builds the
 * next turn, so a faster Redis side gains less than it could.
 */
async function publish(broker, count) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + turn);
      const publishes = [];
      for (let i = from; i < next; i++) {
        publishes.push(broker.publish({ topic: `t${i % TOPICS}`, data }));
      }
      await Promise.all(publishes);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Events a second to the masters on `ports`, and the CPU of each process meanwhile. */
async function measure(library, ports, label) {
  const { client, close } = await connect(library, ports);
  const key = `ssekit-bench:{${label}-${library}}`;
  const broker = redisBroker({
    client,
    key,
    partitions,
    maxEvents: 100_000,
    onError: console.error,
  });
  try {
    await broker.ready();
    await publish(broker, Math.min(10_000, events)); // warm-up: scripts loaded, JIT warm
    const watched = [
      { process: `node (this, ${library})`, pid: process.pid },
      ...servers
        .filter((server) => ports.includes(server.port))
        .map((server) => ({
          process: `redis-server ${server.role} :${server.port}`,
          pid: server.child.pid,
        })),
    ];
    const before = watched.map(({ pid }) => cpuSeconds(pid));
    const machineBefore = machineJiffies();
    const started = performance.now();
    await publish(broker, events);
    const seconds = (performance.now() - started) / 1000;
    const machineAfter = machineJiffies();
    const used = watched.map(({ pid }, i) => cpuSeconds(pid) - before[i]);
    const cpu = Object.fromEntries(
      watched.map(({ process: name }, i) => [name, round(used[i] / seconds, 2)]),
    );
    const sum = used.reduce((total, value) => total + value, 0);
    const perEvent = used.map((value) => (value * 1e6) / events);
    const [nodeMicros, ...redisMicros] = perEvent;
    const redisTotal = redisMicros.reduce((total, value) => total + value, 0);
    return {
      masters: ports.length,
      perSecond: Math.round(events / seconds),
      seconds: round(seconds, 2),
      cpuShareOfOneCore: cpu,
      cpuMicrosPerEvent: { node: round(nodeMicros, 1), redis: round(redisTotal, 1) },
      coresUsedByTheseProcesses: round(sum / seconds, 2),
      machineBusyCores: round(
        ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) *
          availableParallelism(),
        2,
      ),
      // What these CPU costs would allow with the machine's cores to themselves and publishing
      // overlapped perfectly: no process above one core, their sum not above the cores.
      ceilingPerSecond: Math.round(
        1e6 /
          Math.max(nodeMicros, ...redisMicros, (nodeMicros + redisTotal) / availableParallelism()),
      ),
    };
  } finally {
    await broker.close();
    close();
  }
}

const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;

const standalone = await startServer(false);
const masters = [await startServer(true), await startServer(true), await startServer(true)];
await run('redis-cli', [
  '--cluster',
  'create',
  ...masters.map((master) => `127.0.0.1:${master.port}`),
  '--cluster-replicas',
  '0',
  '--cluster-yes',
]);
for (const master of masters) {
  for (let tries = 0; !(await clusterOk(master.port)); tries++) {
    if (tries > 200) throw new Error(`cluster node :${master.port} never reported ok`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const results = [];
const loads = [loadavg().map((load) => load.toFixed(2))];
for (let run = 0; run < runs; run++) {
  for (const library of libraries) {
    const one = await measure(library, [standalone.port], 'one');
    loads.push(loadavg().map((load) => load.toFixed(2)));
    const three = await measure(
      library,
      masters.map((master) => master.port),
      'three',
    );
    loads.push(loadavg().map((load) => load.toFixed(2)));
    results.push({
      client: library,
      oneMaster: one,
      threeMasters: three,
      ratio: round(three.perSecond / one.perSecond, 2),
      ceilingRatio: round(three.ceilingPerSecond / one.ceilingPerSecond, 2),
    });
  }
}
console.log(
  JSON.stringify(
    {
      workload: `publish ${events} ~${data.length}-byte events on ${TOPICS} topics over ${partitions} partitions, turns of ${turn} (${inFlight} in flight), one Node process -> 1 standalone master vs a 3-master cluster (no replicas, no persistence), after a warm-up`,
      node: process.version,
      cpus: `${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown'}`,
      loadavgBeforeAndAfterEachRow: loads,
      note: 'ceilingPerSecond: what the measured CPU per event allows if these processes had every core to themselves (no process above one core, their sum not above the cores); machineBusyCores near the core count means other work took the rest',
      results,
    },
    null,
    2,
  ),
);
process.exit(0);
