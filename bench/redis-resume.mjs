#!/usr/bin/env node
/**
 * Resume on a quiet topic in a busy hub: `--entries` events on other topics (1,000 of them), five
 * on the quiet topic spread among them, then one client's replay of the quiet topic from before
 * its first event. Reports the replay's time and the Redis commands it sent, with one stream and
 * with `--partitions` streams. Fresh keys under `ssekit-bench:`, deleted at the end (the publish
 * records expire 30 s after their publish).
 *
 *   node bench/redis-resume.mjs [--entries=200000] [--partitions=16]
 *
 * Needs the packages built (`npm run build`) and Redis at SSEKIT_BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { nodeRedisConnection, redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';

const flags = process.argv.slice(2);
const option = (key, fallback) =>
  flags.find((flag) => flag.startsWith(`--${key}=`))?.split('=')[1] ?? fallback;
const entries = Number(option('entries', 200_000));
const partitions = Number(option('partitions', 16));
const url = process.env.SSEKIT_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const data = JSON.stringify({ note: 'x'.repeat(60) });
const QUIET = 'user:{quiet}:inbox';

/** A connection that counts the commands sent on it and its duplicates. */
function counting(inner, commands) {
  return {
    get isReady() {
      return inner.isReady;
    },
    command: (args) => {
      commands.push(args[0]);
      return inner.command(args);
    },
    onError: (listener) => inner.onError(listener),
    duplicate: () => counting(inner.duplicate(), commands),
    connect: () => inner.connect(),
    destroy: () => inner.destroy(),
  };
}

async function run(count) {
  const key = `ssekit-bench:{${randomBytes(6).toString('hex')}}`;
  const client = createClient({ url });
  await client.connect();
  const commands = [];
  const broker = redisBroker({
    client: counting(nodeRedisConnection(client), commands),
    key,
    partitions: count,
    maxEvents: entries * 2,
    onError: console.error,
  });
  await broker.ready();
  const keys =
    count === 1 ? [key] : Array.from({ length: count }, (_, p) => key.replace(/\}$/, `:${p}}`));
  try {
    return await measure(broker, commands, count);
  } finally {
    await broker.close();
    await client.del(keys);
    client.destroy();
  }
}

/** Fills the hub, then times the quiet topic's replay. */
async function measure(broker, commands, count) {
  let from;
  const fillStarted = performance.now();
  for (let sent = 0; sent < entries; ) {
    const turn = [];
    for (let i = 0; i < 1000 && sent < entries; i++, sent++) {
      turn.push(broker.publish({ topic: `feed:${sent % 1000}`, data }));
    }
    const quiet = sent % (entries / 5) < 1000;
    if (quiet) turn.push(broker.publish({ topic: QUIET, data: 'quiet' }));
    const ids = await Promise.all(turn);
    if (quiet) from ??= ids.at(-1);
  }
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  // `from` is the first quiet event's id: its resume owes the four after it.
  commands.length = 0;
  const started = performance.now();
  let replayed = 0;
  for await (const page of broker.replay(from, new Set([QUIET]))) {
    if (page === 'reset') throw new Error('unexpected reset');
    replayed += page.length;
  }
  const ms = performance.now() - started;
  const sent = {};
  for (const name of commands) sent[name] = (sent[name] ?? 0) + 1;
  return {
    partitions: count,
    replayed,
    ms: Math.round(ms * 10) / 10,
    commands: sent,
    fillSeconds: Math.round(fillSeconds),
  };
}

const results = [await run(1), await run(partitions)];
console.log(
  JSON.stringify(
    {
      workload: `resume on a quiet topic (5 events) among ${entries} events on 1,000 other topics`,
      node: process.version,
      cpus: `${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown'}`,
      loadavg: loadavg().map((load) => load.toFixed(2)),
      results,
    },
    null,
    2,
  ),
);
