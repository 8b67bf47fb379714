#!/usr/bin/env node
/**
 * End to end through Redis against the in-process hub, in one run: 2 x `--clients` idle SSE
 * clients (one client process) on one in-process hub behind Express, then `--clients` on each of
 * two hub instances sharing one Redis stream (each its own process), publishing on the first.
 * Per phase: a burst of `--events` broadcasts (events delivered per second to all clients, the
 * server's CPU per delivered event, in ns), then, once every client has had the whole burst and
 * after a pause, latency probes every `--interval` ms (p50/p99 of receive - due time over every
 * client, after `--warmup` probes that are checked but not timed; a phase whose probes did not
 * all arrive in time is marked late), every event checked once per client. The Redis key is fresh
 * and deleted at the end.
 *
 * The probes are paced so that no process saturates: at 1,000 clients per instance, one every
 * 100 ms is 20,000 events a second for the in-process hub (2,000 clients) and 10,000 for each
 * Redis instance. Paced faster than a process can serve on a shared 2-core machine (one every
 * 10 or 50 ms), the probes queue and the p50 measures the queue: an earlier run gave the
 * in-process hub a p50 of seconds, which is not a latency. Each phase's `serverCpu` is the share
 * of one core its (first) server used while probing: near 1, latency is the wait for a turn. A
 * phase whose p50 exceeds the interval is marked `queued` (each probe arrived after the next was
 * due), and the Redis hop's added latency is then not computed.
 *
 *   node bench/redis-e2e.mjs [--clients=1000] [--events=100] [--probes=100] [--warmup=20] [--interval=100] [--runs=1]
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
  settleMs: 1000,
  graceMs: 200,
  redis: {
    clients,
    events: option('events', 100),
    timeoutMs: 30_000,
    latency: {
      warmup: option('warmup', 20),
      events: option('probes', 100),
      intervalMs: option('interval', 100),
      timeoutMs: 10_000,
    },
  },
};

const round = (value, digits = 1) =>
  typeof value === 'number' ? Math.round(value * 10 ** digits) / 10 ** digits : value;
const intervalMs = config.redis.latency.intervalMs;
/**
 * A p50 above the probe interval means probes arrived after the next one was due: they queued
 * (a process short of CPU), and the percentiles measure the queue, not the hop.
 */
const phase = ({ burst, latency }) => ({
  burst: { ...burst, rate: round(burst.rate, 0), cpuPerEvent: round(burst.cpuPerEvent, 2) },
  latency: {
    ...latency,
    serverCpu: round(latency.serverCpu, 2),
    queued: !(latency.p50 <= intervalMs),
  },
});
const measured = (inProcess, redis) =>
  !inProcess.latency.queued &&
  !redis.latency.queued &&
  !inProcess.latency.late &&
  !redis.latency.late;

const runs = [];
const loads = [loadavg().map((load) => load.toFixed(2))];
for (let run = 0; run < option('runs', 1); run++) {
  const { inProcess, redis } = await redisHopSession(config, {});
  loads.push(loadavg().map((load) => load.toFixed(2)));
  const rows = { inProcess: phase(inProcess), redis: phase(redis) };
  runs.push({
    ...rows,
    addedByRedis: {
      p50: measured(rows.inProcess, rows.redis)
        ? round(redis.latency.p50 - inProcess.latency.p50, 2)
        : 'not measured: probes queued or late',
      p99: measured(rows.inProcess, rows.redis)
        ? round(redis.latency.p99 - inProcess.latency.p99, 2)
        : 'not measured: probes queued or late',
      burstRateRatio: round(redis.burst.rate / inProcess.burst.rate, 2),
    },
  });
}
console.log(
  JSON.stringify(
    {
      workload: `${clients * 2} idle clients: one in-process hub, then ${clients} on each of two instances on one Redis stream; a burst of ${config.redis.events} ~100-byte broadcasts, then ${config.redis.latency.warmup} warm-up and ${config.redis.latency.events} timed probes every ${config.redis.latency.intervalMs} ms`,
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
