/**
 * One implementation's server, in its own process (run with --expose-gc). Loads
 * `bench/impls/<name>.mjs`, listens on 127.0.0.1, and obeys run.mjs over IPC: report the
 * subscriber count and memory, broadcast a burst (one synchronous loop), broadcast one event per
 * macrotask, or broadcast latency probes on an interval.
 */
import { answerParent } from './parent-commands.mjs';
import { broadcastPayload, latencyPayload } from './workload.mjs';

const name = process.argv[2];
const impl = await import(new URL(`../impls/${name}.mjs`, import.meta.url));
const app = await impl.start();

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);
/** The CPU use at the start of the last burst or paced phase. */
let cpuAtPhaseStart = process.cpuUsage();

/** CPU time (µs) this process used since the last burst or paced phase began. */
function cpuSincePhase() {
  const { user, system } = process.cpuUsage(cpuAtPhaseStart);
  return { cpuMicros: user + system };
}

function memory() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

/** Broadcasts `events` payloads in one synchronous loop; returns the start time (µs). */
function burst({ events }) {
  const payloads = Array.from({ length: events }, (_, seq) => broadcastPayload(seq));
  cpuAtPhaseStart = process.cpuUsage();
  const startedAt = nowMicros();
  for (const payload of payloads) app.broadcast(payload);
  return { startedAt };
}

/**
 * Broadcasts `events` payloads, each from its own `setImmediate` callback: one publish per turn
 * of the event loop, with I/O polled between two publishes, as an application publishing from
 * separate I/O callbacks (a sensor reading, a chat message, a token) does. Returns the start
 * time (µs) at once; the client notes when the last event reached the last connection.
 */
function paced({ events }) {
  const payloads = Array.from({ length: events }, (_, seq) => broadcastPayload(seq));
  cpuAtPhaseStart = process.cpuUsage();
  const startedAt = nowMicros();
  let seq = 0;
  const publishOne = () => {
    app.broadcast(payloads[seq]);
    seq += 1;
    if (seq < events) setImmediate(publishOne);
  };
  setImmediate(publishOne);
  return { startedAt };
}

/**
 * One probe due every `intervalMs`, `events` in all, each stamped with the time it was due, not
 * the time the server got to it: a server that cannot keep the pace sends the overdue probes
 * as soon as it can, and its lag shows in the latency instead of hiding in a slower schedule.
 * Each probe is published from its own macrotask (a timer, or `setImmediate` for an overdue one),
 * never two in one turn. Resolves when the last one is sent, with the CPU the server used
 * meanwhile (share of one core).
 */
function latency({ events, intervalMs }) {
  return new Promise((resolve) => {
    const startedAt = nowMicros();
    const cpuAtStart = process.cpuUsage();
    const intervalMicros = intervalMs * 1000;
    const dueAt = (seq) => startedAt + seq * intervalMicros;
    let seq = 0;
    const tick = () => {
      if (dueAt(seq) <= nowMicros()) {
        app.broadcast(latencyPayload(seq, dueAt(seq)));
        seq += 1;
      }
      if (seq === events) return resolve({ sent: seq, cpu: cpuShare(cpuAtStart, startedAt) });
      const wait = (dueAt(seq) - nowMicros()) / 1000;
      if (wait <= 0) setImmediate(tick);
      else setTimeout(tick, wait);
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
  paced,
  cpuSincePhase,
  latency,
};

// A deep accept queue: the client completes handshakes faster than a slow row accepts them, and
// a SYN dropped on a full queue is retried only after a second.
await new Promise((resolve) =>
  app.server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
);
answerParent(app, commands, memory());
