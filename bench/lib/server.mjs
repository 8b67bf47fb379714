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

/**
 * One probe due every `intervalMs`, `events` in all, each stamped with the time it was due, not
 * the time the server got to it: a server that cannot keep the pace sends the overdue probes at
 * the next tick, and its lag shows in the latency instead of hiding in a slower schedule.
 * Resolves when the last one is sent, with the CPU the server used meanwhile (share of one core).
 */
function latency({ events, intervalMs }) {
  return new Promise((resolve) => {
    const startedAt = nowMicros();
    const cpuAtStart = process.cpuUsage();
    const intervalMicros = intervalMs * 1000;
    const dueAt = (seq) => startedAt + seq * intervalMicros;
    let seq = 0;
    const tick = () => {
      const now = nowMicros();
      for (; seq < events && dueAt(seq) <= now; seq++)
        app.broadcast(latencyPayload(seq, dueAt(seq)));
      if (seq === events) resolve({ sent: seq, cpu: cpuShare(cpuAtStart, startedAt) });
      else setTimeout(tick, Math.max(0, (dueAt(seq) - nowMicros()) / 1000));
    };
    tick();
  });
}

function cpuShare(cpuAtStart, startedAt) {
  const { user, system } = process.cpuUsage(cpuAtStart);
  return (user + system) / (nowMicros() - startedAt);
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
