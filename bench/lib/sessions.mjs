/**
 * The scenarios, grouped in sessions that share one server and one client process:
 * - `crowd`: N idle clients, a burst (fan-out), then latency probes every 10 ms;
 * - `memory`: N idle clients, memory per connection, then a burst (fan-out at N);
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

async function connectIdle(server, client, clients, config) {
  await client.call('connect', { port: server.port, path: '/sse', count: clients });
  await subscribed(server, clients);
  await sleep(config.settleMs);
}

/** One burst of `events` broadcasts to every connected client: events delivered per second. */
async function fanOut(server, client, { events, timeoutMs }, graceMs) {
  await client.call('arm', { events, timeoutMs, graceMs });
  const { startedAt } = await server.call('burst', { events });
  const result = await client.call('outcome');
  const figures = { lost: result.lost, duplicated: result.duplicated, expected: result.expected };
  const failure = verdict(result);
  if (failure !== undefined) return { ...figures, ...failure };
  const seconds = (result.doneAt - startedAt) / 1e6;
  return { ...figures, seconds, rate: result.expected / seconds };
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

export function crowdSession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    await connectIdle(server, client, config.crowdClients, config);
    const fanout = await fanOut(server, client, config.crowdBurst, config.graceMs);
    await sleep(config.settleMs);
    await server.call('memory');
    const probes = await latency(server, client, {
      ...config.latency,
      clients: config.crowdClients,
      graceMs: config.graceMs,
    });
    return { fanout, latency: probes };
  });
}

export function memorySession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    await connectIdle(server, client, config.memoryClients, config);
    const loaded = await server.call('memory');
    const clients = config.memoryClients;
    const memory = {
      rssPerConnection: (loaded.rss - server.empty.rss) / clients,
      heapPerConnection: (loaded.heapUsed - server.empty.heapUsed) / clients,
    };
    const fanout = await fanOut(server, client, config.memoryBurst, config.graceMs);
    return { memory, fanout };
  });
}

export function streamSession(impl, config, options) {
  return withProcesses(impl, options, async (server, client) => {
    const result = await client.call('stream', {
      port: server.port,
      events: config.streamEvents,
      timeoutMs: config.streamTimeoutMs,
    });
    const failure = verdict(result);
    return failure === undefined ? result : { ...result, ...failure };
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
    const perInstance = config.redisClients;
    for (const server of [first, second]) await connectIdle(server, client, perInstance, config);
    const fanout = await fanOut(first, client, config.redisBurst, config.graceMs);
    await sleep(config.settleMs);
    const probes = await latency(first, client, {
      ...config.latency,
      clients: perInstance * 2,
      graceMs: config.graceMs,
    });
    return { fanout, latency: probes };
  } finally {
    await client.stop();
    await second?.stop();
    await first.stop();
  }
}
