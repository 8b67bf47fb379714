/**
 * The scenarios, each in one server and one client process. Fan-out runs in two workloads:
 * `burst` (every broadcast in one synchronous loop) and `paced` (one broadcast per macrotask, I/O
 * polled between two). The sizes (those of the full run; `--quick` shrinks them):
 * - `few`: 200 idle clients: latency probes every 10 ms;
 * - `crowd`: 1,000 idle clients: burst, paced, then latency probes every 50 ms;
 * - `memory`: 5,000 idle clients: memory per connection, then burst and paced;
 * - `large`: 10,000 idle clients: burst and paced.
 * A row's few and crowd sizes run in one process that grows from 200 clients to 1,000, its memory
 * and large sizes in another that grows from 5,000 to 10,000 (`growingSession`). Each size's
 * probes and their pace are its `latency` in the config. Besides the sizes:
 * - `stream`: one client reading as fast as backpressure allows;
 * - `redis`: two instances on one Redis stream, N clients each, publishing on the first.
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

/** Connects `count` more idle clients, until the server counts `total` subscribers. */
async function connectIdle(server, client, count, total, config) {
  await client.call('connect', { port: server.port, path: '/sse', count });
  await subscribed(server, total);
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

/** The probes of `sessionConfig.latency` to its `clients`, after a collection and a pause. */
async function latencyPhase(server, client, sessionConfig, config) {
  await sleep(config.settleMs);
  await server.call('memory');
  const { clients } = sessionConfig;
  return latency(server, client, { ...sessionConfig.latency, clients, graceMs: config.graceMs });
}

/** What each size runs once its clients are connected. */
const SIZE_PHASES = {
  few: async (server, client, config) => ({
    latency: await latencyPhase(server, client, config.few, config),
  }),
  crowd: async (server, client, config) => {
    const { burst, paced } = await bothWorkloads(server, client, config.crowd, config);
    const probes = await latencyPhase(server, client, config.crowd, config);
    return { burst, paced, latency: probes };
  },
  memory: async (server, client, config) => {
    const { clients } = config.memory;
    const loaded = await server.call('memory');
    const memory = {
      rssPerConnection: (loaded.rss - server.empty.rss) / clients,
      heapPerConnection: (loaded.heapUsed - server.empty.heapUsed) / clients,
    };
    return { memory, ...(await bothWorkloads(server, client, config.memory, config)) };
  },
  large: (server, client, config) => bothWorkloads(server, client, config.large, config),
};

/**
 * `sizes` (smallest first) in one server and one client process: each size's clients connect on
 * top of those already there, then its phases run. One process start, one teardown and the
 * smaller size's connections are saved per size; the larger size runs on a server that has
 * already sent events (its code warm, as after the first phase of any session). Memory per
 * connection is measured on a server that has sent nothing, so `memory` must come first.
 * Returns each size's figures under its name.
 */
export function growingSession(impl, sizes, config, options) {
  if (sizes.includes('memory') && sizes[0] !== 'memory') {
    throw new TypeError(`growingSession: memory must be the first size, got ${sizes.join(', ')}`);
  }
  return withProcesses(impl, options, async (server, client) => {
    const results = {};
    let connected = 0;
    for (const size of sizes) {
      const { clients } = config[size];
      await connectIdle(server, client, clients - connected, clients, config);
      connected = clients;
      results[size] = await SIZE_PHASES[size](server, client, config);
    }
    return results;
  });
}

/**
 * Every fan-out and latency phase once, small, and the one-client stream when the row has one, in
 * one server and one client process: whether every implementation delivers every event, in a few
 * seconds each (`npm run bench:ci`).
 */
export function checkSession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    await connectIdle(server, client, config.check.clients, config.check.clients, config);
    const fanOut = await bothWorkloads(server, client, config.check, config);
    const probes = await latencyPhase(server, client, config.check, config);
    if (!options.stream) return { ...fanOut, latency: probes };
    const oneClient = await client.call('stream', {
      port: server.port,
      ...config.stream,
      graceMs: config.graceMs,
    });
    return { ...fanOut, latency: probes, oneClient: { ...oneClient, ...verdict(oneClient) } };
  });
}

export function streamSession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    const result = await client.call('stream', {
      port: server.port,
      ...config.stream,
      graceMs: config.graceMs,
    });
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
    for (const server of [first, second]) {
      await connectIdle(server, client, perInstance, perInstance, config);
    }
    const burst = await fanOut(first, client, 'burst', config.redis, config.graceMs);
    await sleep(config.settleMs);
    const probes = await latency(first, client, {
      ...config.redis.latency,
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
    await connectIdle(server, client, clients, clients, config);
    const burst = await fanOut(server, client, 'burst', config.redis, config.graceMs);
    await sleep(config.settleMs);
    const probes = await latency(server, client, {
      ...config.redis.latency,
      clients,
      graceMs: config.graceMs,
    });
    return { burst, latency: probes };
  });
  const redis = await redisSession('ssekit-hub-redis', config, options);
  return { clients, inProcess, redis };
}
