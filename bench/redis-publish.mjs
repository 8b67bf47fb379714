#!/usr/bin/env node
/**
 * Publish throughput of `redisBroker` from one Node process to one Redis: how many events a
 * second `broker.publish` stores, one at a time (each waits for the one before) and in turns of
 * many (the publishes of one turn share one script call). Each event is ~100 bytes of JSON on
 * one topic. Uses a fresh key under `ssekit-bench:` and deletes it
 * (its publish records expire 30 s later).
 *
 *   node bench/redis-publish.mjs [--events=200000] [--turn=1000] [--client=redis|ioredis]
 *
 * Needs the packages built (`npm run build`) and Redis at SSEKIT_BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { redisBroker } from '@ssekit/redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

const flags = process.argv.slice(2);
const option = (key, fallback) =>
  flags.find((flag) => flag.startsWith(`--${key}=`))?.split('=')[1] ?? fallback;
const events = Number(option('events', 200_000));
const turn = Number(option('turn', 1000));
const library = option('client', 'redis');
const url = process.env.SSEKIT_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const key = `ssekit-bench:${randomBytes(6).toString('hex')}`;
const data = JSON.stringify({ symbol: 'ABC', price: 12.5, at: Date.now(), note: 'x'.repeat(40) });

async function connect() {
  if (library === 'ioredis') return new Redis(url);
  const client = createClient({ url });
  await client.connect();
  return client;
}

/** Redis's own CPU so far (user + system), in microseconds, from `INFO cpu`. */
async function redisCpuMicros() {
  const info = String(
    library === 'ioredis' ? await client.info('cpu') : await client.sendCommand(['INFO', 'cpu']),
  );
  const seconds = (name) => Number(info.match(new RegExp(`${name}:([\\d.]+)`))?.[1] ?? NaN);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

/**
 * Events a second over `count` publishes issued `perTurn` at a time, and where the time went:
 * this process's CPU and Redis's CPU per event, in microseconds (both share the machine's cores).
 */
async function measure(broker, count, perTurn) {
  const redisBefore = await redisCpuMicros();
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  for (let sent = 0; sent < count; sent += perTurn) {
    const publishes = [];
    for (let i = 0; i < perTurn && sent + i < count; i++) {
      publishes.push(broker.publish({ topic: 'prices', data }));
    }
    await Promise.all(publishes);
  }
  const perSecond = Math.round(count / ((performance.now() - started) / 1000));
  const node = process.cpuUsage(nodeBefore);
  const redis = (await redisCpuMicros()) - redisBefore;
  return {
    events: count,
    perSecond,
    nodeCpuMicrosPerEvent: Math.round(((node.user + node.system) / count) * 100) / 100,
    redisCpuMicrosPerEvent: Math.round((redis / count) * 100) / 100,
  };
}

const client = await connect();
const broker = redisBroker({ client, key, maxEvents: 100_000, onError: console.error });
await broker.ready();
try {
  await measure(broker, 2000, 100); // warm-up: script loaded, JIT warm
  const oneAtATime = await measure(broker, Math.min(events, 20_000), 1);
  const inTurns = await measure(broker, events, turn);
  console.log(
    JSON.stringify(
      {
        workload: `publish ~${data.length}-byte events on one topic, one Node process -> one Redis`,
        node: process.version,
        client: library,
        cpus: `${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown'}`,
        loadavg: loadavg().map((load) => load.toFixed(2)),
        oneAtATime,
        inTurns: { perTurn: turn, ...inTurns },
        note: 'Redis CPU includes every other client of that Redis during the run',
      },
      null,
      2,
    ),
  );
} finally {
  await broker.close();
  // The publish records (`<key>:publish:*`) expire by themselves 30 s after their publish.
  await client.del(key);
  if (library === 'ioredis') client.disconnect();
  else client.destroy();
}
