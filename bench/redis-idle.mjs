#!/usr/bin/env node
/**
 * CPU of an instance none of whose clients wants what others publish: a child process runs a hub
 * on `redisBroker` with no subscriber, while this process publishes as fast as it can (turns of
 * 1,000 events on 1,000 topics) for `--seconds`. Reports the child's CPU (user + system, as a
 * share of one core) over that time, with one stream (every instance reads every event) and with
 * `--partitions` streams (it reads none). Fresh keys under `ssekit-bench:`, deleted at the end.
 *
 *   node bench/redis-idle.mjs [--seconds=5] [--partitions=16]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { createHub } from '@ssekit/core';
import { redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';

const flags = process.argv.slice(2);
const option = (key, fallback) =>
  flags.find((flag) => flag.startsWith(`--${key}=`))?.split('=')[1] ?? fallback;
const seconds = Number(option('seconds', 5));
const partitions = Number(option('partitions', 16));
const url = process.env.SSEKIT_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

if (process.env.SSEKIT_IDLE_CHILD) {
  // The idle instance: a hub with no subscriber; reports its CPU when asked.
  const { key, count } = JSON.parse(process.env.SSEKIT_IDLE_CHILD);
  const client = createClient({ url });
  const broker = redisBroker({ client, key, partitions: count, onError: () => {} });
  const hub = createHub({ broker });
  await broker.ready();
  let from = process.cpuUsage();
  process.on('message', async (message) => {
    if (message === 'start') from = process.cpuUsage();
    if (message === 'stop') {
      const used = process.cpuUsage(from);
      process.send({ cpuMicros: used.user + used.system });
      await hub.close();
      process.exit(0);
    }
  });
  process.send('ready');
} else {
  const results = [];
  for (const count of [1, partitions]) {
    const key = `ssekit-bench:{${randomBytes(6).toString('hex')}}`;
    const child = fork(new URL(import.meta.url).pathname, [], {
      env: { ...process.env, SSEKIT_IDLE_CHILD: JSON.stringify({ key, count }) },
    });
    await new Promise((resolve) => child.once('message', resolve));
    const client = createClient({ url });
    await client.connect();
    const broker = redisBroker({
      client,
      key,
      partitions: count,
      maxEvents: 50_000,
      onError: console.error,
    });
    await broker.ready();
    child.send('start');
    const started = performance.now();
    let published = 0;
    while (performance.now() - started < seconds * 1000) {
      const turn = [];
      for (let i = 0; i < 1000; i++)
        turn.push(broker.publish({ topic: `feed:${i}`, data: '{"n":1}' }));
      await Promise.all(turn);
      published += 1000;
    }
    const elapsed = (performance.now() - started) / 1000;
    child.send('stop');
    const { cpuMicros } = await new Promise((resolve) => child.once('message', resolve));
    await broker.close();
    const keys =
      count === 1 ? [key] : Array.from({ length: count }, (_, p) => key.replace(/\}$/, `:${p}}`));
    await client.del(keys);
    client.destroy();
    results.push({
      partitions: count,
      publishedPerSecond: Math.round(published / elapsed),
      idleInstanceCpu: `${((cpuMicros / 1e6 / elapsed) * 100).toFixed(1)}% of one core`,
    });
  }
  console.log(
    JSON.stringify(
      {
        workload: `an instance with no subscriber while another publishes turns of 1,000 events for ${seconds} s`,
        node: process.version,
        cpus: `${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown'}`,
        loadavg: loadavg().map((load) => load.toFixed(2)),
        results,
      },
      null,
      2,
    ),
  );
}
