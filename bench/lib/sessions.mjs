/**
 * The scenarios, grouped in sessions that share one server and one client process. Fan-out runs
 * in two workloads: `burst` (every broadcast in one synchronous loop) and `paced` (one broadcast
 * per macrotask, I/O polled between two).
 * - `crowd`: 1,000 idle clients: burst, paced, then latency probes every 10 ms;
 * - `memory`: 5,000 idle clients: memory per connection, then burst and paced;
 * - `large`: 10,000 idle clients: burst and paced;
 * - `few`: 200 idle clients: latency probes every 10 ms;
 * - `stream`: one client reading as fast as backpressure allows;
 * - `redis`: two instances on one Redis stream, N clients each, publishing on the first.
 * (The sizes are those of the full run; `--quick` shrinks them.)
 * Each returns plain figures; a figure marked `wrong` (an event lost or duplicated) or `late`
 * (events still missing at the deadline) is not a result.
 */
import { randomUUID } from 'node:crypto';
import { startClient, startServer } from './processes.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Duplicates, or events missing once the server ended, are wrong; missing at the deadline is late. */
function verdict({ timedOut, lost, duplicated }) {
  if (duplicated > 0 || (!timedOut && lost > 0)) return { wrong: true };
  if (timedOut) return { late: true };
  return undefined;
}

/** Waits until the server counts `expected` subscribers (they register after the headers). */
async function subscribed(server, expected, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await server.call('subscribers');
    if (count === expected) return;
    if (Date.now() > deadline) throw new Error(`server has ${count}/${expected} subscribers`);
    await sleep(20);
  }
}

async function withProcesses(impl, options, body) {
  const server = await startServer(impl, options);
  const client = startClient();
  try {
    return await body(server, client);
  } finally {
    await client.stop();
    await server.stop();
  }
}

async function connectIdle(server, client, clients, config) {
  await client.call('connect', { port: server.port, path: '/sse', count: clients });
  await subscribed(server, clients);
  await sleep(config.settleMs);
}

/**
 * `events` broadcasts to every connected client, sent by the server's `workload` command (`burst`
 * or `paced`): events delivered per second, from the first broadcast to the last event.
 */
async function fanOut(server, client, workload, { events, timeoutMs }, graceMs) {
  await client.call('arm', { events, timeoutMs, graceMs });
  const { startedAt } = await server.call(workload, { events });
  const result = await client.call('outcome');
  const { cpuMicros } = await server.call('cpuSincePhase');
  const figures = { lost: result.lost, duplicated: result.duplicated, expected: result.expected };
  const failure = verdict(result);
  if (failure !== undefined) return { ...figures, ...failure };
  const seconds = (result.doneAt - startedAt) / 1e6;
  // The client shares the machine's cores: the server's own CPU per event is the figure it
  // cannot blur.
  const cpuPerEvent = (cpuMicros * 1000) / result.expected;
  return { ...figures, seconds, rate: result.expected / seconds, cpuPerEvent };
}

/**
 * `warmup` probes, then `events` more, one every `intervalMs`; p50/p99 of receive − send over
 * every client and every probe after the warm-up. Every probe must arrive exactly once.
 */
async function latency(
  server,
  client,
  { warmup, events, intervalMs, clients, timeoutMs, graceMs },
) {
  const probes = warmup + events;
  await client.call('arm', {
    events: probes,
    graceMs,
    timeoutMs: probes * intervalMs + timeoutMs,
    latencyCapacity: events * clients,
    warmupMicros: warmup * intervalMs * 1000,
  });
  const sent = await server.call('latency', { events: probes, intervalMs });
  const result = await client.call('outcome');
  const figures = {
    lost: result.lost,
    duplicated: result.duplicated,
    samples: result.latency.samples,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    serverCpu: sent.cpu,
  };
  const failure = verdict(result);
  return failure === undefined ? figures : { ...figures, ...failure };
}

/** Both fan-out workloads, one after the other, with a collection and a pause between. */
async function bothWorkloads(server, client, fanOutConfig, config) {
  const burst = await fanOut(server, client, 'burst', fanOutConfig, config.graceMs);
  await server.call('memory');
  await sleep(config.settleMs);
  const paced = await fanOut(server, client, 'paced', fanOutConfig, config.graceMs);
  return { burst, paced };
}

async function latencyPhase(server, client, clients, config) {
  await sleep(config.settleMs);
  await server.call('memory');
  return latency(server, client, { ...config.latency, clients, graceMs: config.graceMs });
}

export function crowdSession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    await connectIdle(server, client, config.crowd.clients, config);
    const { burst, paced } = await bothWorkloads(server, client, config.crowd, config);
    const probes = await latencyPhase(server, client, config.crowd.clients, config);
    return { burst, paced, latency: probes };
  });
}

export function memorySession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    const clients = config.memory.clients;
    await connectIdle(server, client, clients, config);
    const loaded = await server.call('memory');
    const memory = {
      rssPerConnection: (loaded.rss - server.empty.rss) / clients,
      heapPerConnection: (loaded.heapUsed - server.empty.heapUsed) / clients,
    };
    return { memory, ...(await bothWorkloads(server, client, config.memory, config)) };
  });
}

export function largeSession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    await connectIdle(server, client, config.large.clients, config);
    return bothWorkloads(server, client, config.large, config);
  });
}

export function fewSession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    await connectIdle(server, client, config.few.clients, config);
    return { latency: await latencyPhase(server, client, config.few.clients, config) };
  });
}

/**
 * Every fan-out and latency phase once, small, and the one-client stream when the row has one, in
 * one server and one client process: whether every implementation delivers every event, in a few
 * seconds each (`npm run bench:ci`).
 */
export function checkSession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    await connectIdle(server, client, config.check.clients, config);
    const fanOut = await bothWorkloads(server, client, config.check, config);
    const probes = await latencyPhase(server, client, config.check.clients, config);
    if (!options.stream) return { ...fanOut, latency: probes };
    const oneClient = await client.call('stream', { port: server.port, ...config.stream });
    return { ...fanOut, latency: probes, oneClient: { ...oneClient, ...verdict(oneClient) } };
  });
}

export function streamSession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    const result = await client.call('stream', { port: server.port, ...config.stream });
    const failure = verdict(result);
    return { oneClient: failure === undefined ? result : { ...result, ...failure } };
  });
}

/** Two instances sharing a fresh Redis key; bursts and probes are published on the first only. */
export async function redisSession(impl, config, options) {
  const env = { SSEKIT_BENCH_REDIS_KEY: `ssekit:bench:${randomUUID()}` };
  const first = await startServer(impl, { ...options, env });
  const client = startClient();
  let second;
  try {
    second = await startServer(impl, { ...options, env });
    const perInstance = config.redis.clients;
    for (const server of [first, second]) await connectIdle(server, client, perInstance, config);
    const burst = await fanOut(first, client, 'burst', config.redis, config.graceMs);
    await sleep(config.settleMs);
    const probes = await latency(first, client, {
      ...config.latency,
      clients: perInstance * 2,
      graceMs: config.graceMs,
    });
    return { burst, latency: probes };
  } finally {
    await client.stop();
    await second?.stop();
    await first.stop();
  }
}

/**
 * The Redis hop against the in-process hub, in one session: the same 2N clients, the same burst
 * and probes, first on one in-process hub (`ssekit-hub-express`), then split N and N over two
 * instances on one Redis stream (`ssekit-hub-redis`, publishing on the first).
 */
export async function redisHopSession(config, options) {
  const clients = config.redis.clients * 2;
  const inProcess = await withProcesses('ssekit-hub-express', options, async (server, client) => {
    await connectIdle(server, client, clients, config);
    const burst = await fanOut(server, client, 'burst', config.redis, config.graceMs);
    await sleep(config.settleMs);
    const probes = await latency(server, client, {
      ...config.latency,
      clients,
      graceMs: config.graceMs,
    });
    return { burst, latency: probes };
  });
  const redis = await redisSession('ssekit-hub-redis', config, options);
  return { clients, inProcess, redis };
}
