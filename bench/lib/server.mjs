/**
 * One implementation's server, in its own process (run with --expose-gc). Loads
 * `bench/impls/<name>.mjs`, listens on 127.0.0.1, and obeys run.mjs over IPC: report the
 * subscriber count and memory, broadcast a burst, or broadcast latency probes on an interval.
 */
import { broadcastPayload, latencyPayload } from './workload.mjs';

const name = process.argv[2];
const impl = await import(new URL(`../impls/${name}.mjs`, import.meta.url));
const app = await impl.start();

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

function memory() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

/** Broadcasts `events` payloads in one synchronous loop; returns the start time (µs). */
function burst({ events }) {
  const payloads = Array.from({ length: events }, (_, seq) => broadcastPayload(seq));
  const startedAt = nowMicros();
  for (const payload of payloads) app.broadcast(payload);
  return { startedAt };
}

/** One probe every `intervalMs`, `events` in all; resolves when the last one is sent. */
function latency({ events, intervalMs }) {
  return new Promise((resolve) => {
    let seq = 0;
    const timer = setInterval(() => {
      app.broadcast(latencyPayload(seq));
      seq += 1;
      if (seq === events) {
        clearInterval(timer);
        resolve({ sent: seq });
      }
    }, intervalMs);
  });
}

const commands = {
  subscribers: () => app.subscribers(),
  memory,
  burst,
  latency,
};

await new Promise((resolve) => app.server.listen(0, '127.0.0.1', resolve));
const empty = memory();
process.on('message', async ({ id, cmd, args }) => {
  try {
    process.send({ id, result: await commands[cmd](args) });
  } catch (error) {
    process.send({ id, error: error.stack ?? String(error) });
  }
});
process.on('disconnect', async () => {
  await app.stop?.();
  process.exit(0);
});
process.send({ ready: true, port: app.server.address().port, empty });
