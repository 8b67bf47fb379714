#!/usr/bin/env node
/**
 * A client that reads at a tenth of the publish rate, on a latest-value topic and on a plain one:
 * is it kept, what does the server hold for it, what does it get?
 *
 *   node bench/latest-value.mjs [--seconds=20] [--rate=2000] [--keys=100] [--bytes=1000] [--json]
 *
 * Workload: one server process (the hub with `memoryHistory()`, node:http `openSseStream` with the
 * default stream options: maxBufferedBytes 1 MiB, onOverflow 'close') publishes `--rate` events a
 * second, each `--bytes` of data for one of `--keys` keys in turn, for `--seconds`. One client,
 * this process, reads the stream with eventsource-parser and takes at most a tenth of the bytes
 * published per second (it pauses its socket once past its budget). Every second the server
 * reports its heap and RSS after a full GC. Each mode runs in a fresh server process. Build the
 * packages first (`npm run build`).
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const flags = process.argv.slice(2);
const option = (key, fallback) =>
  Number(flags.find((flag) => flag.startsWith(`--${key}=`))?.split('=')[1] ?? fallback);
const settings = {
  seconds: option('seconds', 20),
  rate: option('rate', 2000),
  keys: option('keys', 100),
  bytes: option('bytes', 1000),
};

if (process.env.LATEST_VALUE_BENCH_SERVER !== undefined) {
  await serve(process.env.LATEST_VALUE_BENCH_SERVER === 'latest');
} else {
  const results = [];
  for (const mode of ['plain', 'latest']) results.push(await run(mode));
  if (flags.includes('--json')) console.log(JSON.stringify({ settings, results }, null, 2));
  else print(results);
}

/** The server process: a hub, a stream route, a publisher, memory samples to the parent. */
async function serve(latest) {
  const { createHub, memoryHistory } = await import('@ssekit/core');
  const { openSseStream } = await import('@ssekit/core/node');
  const hub = createHub({
    history: memoryHistory(),
    ...(latest ? { latestValue: (topic) => topic === 'prices' } : {}),
  });
  let stream;
  const server = http.createServer((req, res) => {
    stream = openSseStream(req, res, { heartbeat: false });
    hub.subscribe(stream, 'prices', { cursor: false });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send({ port: server.address().port });
  await new Promise((resolve) => process.once('message', resolve));

  const padding = 'x'.repeat(settings.bytes);
  const perTick = settings.rate / 100;
  const samples = [];
  let seq = 0;
  let closedAt;
  const started = performance.now();
  const publisher = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      seq += 1;
      const key = `k${seq % settings.keys}`;
      const message = { event: 'price', data: `${seq} ${key} ${padding}` };
      hub.publish('prices', message, latest ? { key } : undefined);
    }
    if (closedAt === undefined && stream?.isClosed) closedAt = (performance.now() - started) / 1000;
  }, 10);
  for (let second = 1; second <= settings.seconds; second++) {
    await sleep(1000);
    globalThis.gc();
    const { heapUsed, rss } = process.memoryUsage();
    samples.push({ second, heapUsed, rss, buffered: stream?.isClosed ? 0 : stream?.bufferedBytes });
  }
  clearInterval(publisher);
  const stats = hub.stats();
  process.send({
    samples,
    published: seq,
    closedAt,
    delivered: stats.eventsDelivered,
    overflows: stats.overflows,
  });
  await hub.close();
  server.close();
  process.disconnect();
}

/** One mode: a fresh server process and the slow client. */
async function run(mode) {
  const child = fork(new URL(import.meta.url), flags, {
    execArgv: ['--expose-gc'],
    env: { ...process.env, LATEST_VALUE_BENCH_SERVER: mode },
  });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const client = await slowClient(port, (settings.rate * (settings.bytes + 30)) / 10);
  child.send('start');
  const report = await new Promise((resolve) => child.once('message', resolve));
  client.stop();
  await new Promise((resolve) => child.once('exit', resolve));
  return {
    mode,
    ...report,
    received: client.received(),
    newest: client.newest(),
    firstSkip: client.firstSkip(),
  };
}

/** Reads the stream, at most `bytesPerSecond`; counts events and keeps the newest seq seen. */
async function slowClient(port, bytesPerSecond) {
  const { createParser } = await import('eventsource-parser');
  let received = 0;
  let newest = 0;
  let firstSkip;
  const parser = createParser({
    onEvent: (event) => {
      received += 1;
      const seq = Number(event.data.slice(0, event.data.indexOf(' ')));
      // The first event that skips older ones: from here on the client gets the newest values.
      if (firstSkip === undefined && seq > newest + 1) {
        firstSkip = (performance.now() - started) / 1000;
      }
      newest = Math.max(newest, seq);
    },
  });
  const started = performance.now();
  const res = await new Promise((resolve, reject) => {
    const req = http.get({ port, host: '127.0.0.1', path: '/', agent: false }, resolve);
    req.on('error', reject);
  });
  res.setEncoding('utf8');
  res.on('error', () => {});
  let read = 0;
  let timer;
  res.on('data', (text) => {
    read += Buffer.byteLength(text);
    parser.feed(text);
    const allowed = ((performance.now() - started) / 1000) * bytesPerSecond;
    if (read > allowed) {
      res.pause();
      timer = setTimeout(() => res.resume(), ((read - allowed) / bytesPerSecond) * 1000);
    }
  });
  return {
    received: () => received,
    newest: () => newest,
    firstSkip: () => firstSkip,
    stop: () => {
      clearTimeout(timer);
      res.destroy();
    },
  };
}

function print(results) {
  const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `Node ${process.version}; ${settings.rate} events/s over ${settings.keys} keys, ` +
      `${settings.bytes} B each, ${settings.seconds} s; the client reads 10% of the bytes published.`,
  );
  for (const result of results) {
    const first = result.samples[0];
    const last = result.samples.at(-1);
    const peak = Math.max(...result.samples.map((sample) => sample.rss));
    console.log(
      `${result.mode.padEnd(6)} published ${result.published}, client got ${result.received} ` +
        `(newest seq ${result.newest}` +
        (result.firstSkip === undefined
          ? ', never skipped one), '
          : `, newest values only from ${result.firstSkip.toFixed(1)} s), `) +
        (result.closedAt === undefined ? 'kept' : `cut off after ${result.closedAt.toFixed(1)} s`) +
        `, overflows ${result.overflows}; heap ${mb(first.heapUsed)} -> ${mb(last.heapUsed)} MiB, ` +
        `RSS ${mb(first.rss)} -> ${mb(last.rss)} MiB (peak ${mb(peak)})`,
    );
    console.log(
      `       heap MiB by second: ${result.samples.map((sample) => mb(sample.heapUsed)).join(' ')}`,
    );
  }
}
