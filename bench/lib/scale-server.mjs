/**
 * One server process of `bench/scale.mjs` (run with --expose-gc): idle SSE connections with a
 * heartbeat, either raw node:http or ssekit (hub + `openSseStream`). Obeys the driver over IPC:
 * count subscribers, report memory, broadcast one event, and measure the CPU the heartbeats take.
 *
 *   node --expose-gc bench/lib/scale-server.mjs <raw|ssekit> <heartbeat ms>
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { answerParent } from './parent-commands.mjs';
import { rawApp, ssekitApp } from './scale-apps.mjs';
import { SCALE_MARKER } from './scale-marker.mjs';

const [kind, heartbeatArg] = process.argv.slice(2);
const heartbeatMs = Number(heartbeatArg);

const app = kind === 'ssekit' ? ssekitApp(heartbeatMs) : rawApp(heartbeatMs);
const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

function memory() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

/** One event to every connection; the client notes when the last one got it. */
function broadcast({ seq }) {
  const startedAt = nowMicros();
  app.broadcast({ seq, marker: SCALE_MARKER, note: 'one event to every idle connection' });
  return { startedAt, syncMicros: nowMicros() - startedAt };
}

/**
 * The CPU this process uses over `ms` of idle connections, where the heartbeats are the only
 * work, and the longest the event loop was held up meanwhile (the longest tick, plus any wait
 * for a core on a busy machine).
 */
async function heartbeats({ ms }) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpuAtStart = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const { user, system } = process.cpuUsage(cpuAtStart);
  delay.disable();
  return { cpuMicros: user + system, maxStallMs: delay.max / 1e6 };
}

const commands = { subscribers: () => app.subscribers(), memory, broadcast, heartbeats };

// A deep accept queue: thousands of clients connect at once, and an overflowing queue drops
// handshakes that the clients then retry seconds later.
await new Promise((resolve) =>
  app.server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
);
answerParent(app, commands, memory());
