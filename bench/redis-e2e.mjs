#!/usr/bin/env node
/**
 * End to end through Redis against the in-process hub, in one run: 2 x `--clients` idle SSE
 * clients (one client process) on one in-process hub behind Express, then `--clients` on each of
 * two hub instances sharing one Redis stream (each its own process), publishing on the first.
 * Per phase: a burst of `--events` broadcasts (events delivered per second to all clients, the
 * server's CPU per delivered event, in ns), then latency probes every `--interval` ms (p50/p99 of
 * receive - send over every client, after 100 warm-up probes; a phase whose probes did not all
 * arrive in time is marked late), every event checked once per client. The Redis
 * key is fresh and deleted at the end.
 *
 *   node bench/redis-e2e.mjs [--clients=1000] [--events=100] [--probes=500] [--interval=10] [--runs=1]
 *
 * Needs the packages built (`npm run build`) and Redis at SSEKIT_BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379). Binds 127.0.0.1.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { redisHopSession } from './lib/sessions.mjs';

const flags = process.argv.slice(2);
const option = (key, fallback) =>
  Number(flags.find((flag) => flag.startsWith(`--${key}=`))?.split('=')[1] ?? fallback);
const clients = option('clients', 1000);
const config = {
  settleMs: 300,
  graceMs: 200,
  redis: {
    clients,
    events: option('events', 100),
    timeoutMs: 30_000,
    latency: {
      warmup: 100,
      events: option('probes', 500),
      intervalMs: option('interval', 10),
      timeoutMs: 10_000,
    },
  },
};

const round = (value, digits = 1) =>
  typeof value === 'number' ? Math.round(value * 10 ** digits) / 10 ** digits : value;
const phase = ({ burst, latency }) => ({
  burst: { ...burst, rate: round(burst.rate, 0), cpuPerEvent: round(burst.cpuPerEvent, 2) },
  latency,
});

const runs = [];
const loads = [loadavg().map((load) => load.toFixed(2))];
for (let run = 0; run < option('runs', 1); run++) {
  const { inProcess, redis } = await redisHopSession(config, {});
  loads.push(loadavg().map((load) => load.toFixed(2)));
  runs.push({
    inProcess: phase(inProcess),
    redis: phase(redis),
    addedByRedis: {
      p50: round(redis.latency.p50 - inProcess.latency.p50, 2),
      p99: round(redis.latency.p99 - inProcess.latency.p99, 2),
      burstRateRatio: round(redis.burst.rate / inProcess.burst.rate, 2),
    },
  });
}
console.log(
  JSON.stringify(
    {
      workload: `${clients * 2} idle clients: one in-process hub, then ${clients} on each of two instances on one Redis stream; a burst of ${config.redis.events} ~100-byte broadcasts, then ${config.redis.latency.events} probes every ${config.redis.latency.intervalMs} ms`,
      node: process.version,
      cpus: `${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown'}`,
      loadavgBeforeAndAfterEachRun: loads,
      latencyUnit: 'ms',
      runs,
    },
    null,
    2,
  ),
);
