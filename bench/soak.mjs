#!/usr/bin/env node
/**
 * The steady soak (`npm run soak` runs it first): idle clients receive one event every few
 * milliseconds, each published from its own timer, for ten minutes; every event must reach every
 * client exactly once, and the server's heap after GC must end within 5% of where it started
 * (after a warm-up that fills the hub's history): memory does not grow with the number of events
 * a connection has received.
 *
 *   node bench/soak.mjs                           10 minutes, 1,000 clients, 50 events/s
 *   node bench/soak.mjs --minutes=1               a short try
 *   node bench/soak.mjs --impl=ssekit-hub-koa     another row of bench/impls (default ssekit-hub-node)
 *   node bench/soak.mjs --node=26                 on /opt/node26
 *
 * Exits 1 when an event was lost or duplicated, or when the heap moved by more than 5%.
 */
import { startClient, startServer } from './lib/processes.mjs';
import { reexecWhenNeeded } from './lib/reexec.mjs';

const FLAT_WITHIN = 0.05;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

function parseArgs(argv) {
  const flags = new Map(
    argv.map((arg) => {
      const [key, value = 'true'] = arg.replace(/^--/, '').split('=');
      return [key, value];
    }),
  );
  const number = (key, fallback, max) => {
    const value = flags.has(key) ? Number(flags.get(key)) : fallback;
    if (!(value > 0 && value <= max))
      throw new TypeError(
        `bench/soak: --${key} takes a number above 0 and at most ${max}, got ${flags.get(key)}`,
      );
    return value;
  };
  const minutes = number('minutes', 10, 120);
  return {
    minutes,
    clients: number('clients', 1_000, 15_000),
    // A steady rate, below what one server process and one client process can deliver on two
    // cores, so that the soak measures memory over time, not a server that falls behind.
    rate: number('rate', 50, 1_000),
    impl: flags.get('impl') ?? 'ssekit-hub-node',
    node: flags.get('node'),
    // The hub's history (1,000 events) fills in the first seconds; then the heap should stay put.
    warmupMs: Math.min(60_000, minutes * 60_000 * 0.1),
    sampleEveryMs: Math.min(60_000, minutes * 60_000 * 0.1),
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  reexecWhenNeeded(options.node, options.clients + 1_000);
  const intervalMs = 1000 / options.rate;
  const events = Math.round(options.minutes * 60 * options.rate);
  console.log(
    `soak: ${options.impl} on Node ${process.version}, ${options.clients.toLocaleString('en-US')} clients, ` +
      `${options.rate} events/s (one per macrotask) for ${options.minutes} min: ${events.toLocaleString('en-US')} events each`,
  );
  const server = await startServer(options.impl);
  const client = startClient();
  try {
    await client.call('connect', { port: server.port, path: '/sse', count: options.clients });
    for (let i = 0; (await server.call('subscribers')) !== options.clients; i++) {
      if (i > 500) throw new Error('soak: the clients did not all subscribe');
      await sleep(20);
    }
    await client.call('arm', { events, timeoutMs: options.minutes * 60_000 + 60_000 });
    const started = Date.now();
    // The latency command publishes one event per timer tick at the pace given: the steady rate.
    const sending = server.call('latency', { events, intervalMs });
    await sleep(options.warmupMs);
    const start = await server.call('memory');
    console.log(
      `soak: heap at start (after ${options.warmupMs / 1000} s): ${mib(start.heapUsed)}, RSS ${mib(start.rss)}`,
    );
    const endAt = started + options.minutes * 60_000;
    while (Date.now() + options.sampleEveryMs < endAt) {
      await sleep(options.sampleEveryMs);
      const now = await server.call('memory');
      const minute = ((Date.now() - started) / 60_000).toFixed(1);
      console.log(`soak: heap at ${minute} min: ${mib(now.heapUsed)}, RSS ${mib(now.rss)}`);
    }
    await sending;
    const outcome = await client.call('outcome');
    const end = await server.call('memory');
    const change = (end.heapUsed - start.heapUsed) / start.heapUsed;
    console.log(`soak: heap at end: ${mib(end.heapUsed)}, RSS ${mib(end.rss)}`);
    console.log(
      `soak: heap ${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}% from start to end (target: flat within ${FLAT_WITHIN * 100}%): ${Math.abs(change) <= FLAT_WITHIN ? 'met' : 'MISSED'}`,
    );
    console.log(
      `soak: events: ${outcome.expected.toLocaleString('en-US')} expected, ${outcome.lost} lost, ${outcome.duplicated} duplicated${outcome.timedOut ? ', still missing at the deadline' : ''}`,
    );
    if (outcome.lost > 0 || outcome.duplicated > 0 || Math.abs(change) > FLAT_WITHIN)
      process.exitCode = 1;
  } finally {
    await client.stop();
    await server.stop();
  }
}

await main();
