#!/usr/bin/env node
/**
 * What one idle connection holds on the JS heap, by constructor: heap snapshots of one
 * implementation's server before and after `--connections` clients join, the difference divided
 * by the count. The memory session says how much; this says what.
 *
 *   node --expose-gc bench/heap-per-connection.mjs ssekit-koa [--connections=1000] [--top=30]
 *   node --expose-gc bench/heap-per-connection.mjs scale-ssekit --against=scale-raw
 *
 * Server and clients share this process, so the figures include the clients' sockets: compare
 * implementations with each other, not with the memory session. `--against=<impl>` measures
 * both, each in a process of its own, and prints what the first holds beyond the second, kind by
 * kind. Loads `bench/impls/<name>.mjs`, or for `scale-raw` and `scale-ssekit` the servers of
 * `bench:scale` (a heartbeat every 2 s; `--heartbeat=<ms>`). Build the packages first.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';

const [name, ...flags] = process.argv.slice(2);
const option = (key, fallback) =>
  Number(flags.find((flag) => flag.startsWith(`--${key}=`))?.split('=')[1] ?? fallback);
const text = (key) => flags.find((flag) => flag.startsWith(`--${key}=`))?.split('=')[1];
const connections = option('connections', 1_000);
const top = option('top', 30);
const against = text('against');

if (name === undefined || typeof globalThis.gc !== 'function') {
  console.error('usage: node --expose-gc bench/heap-per-connection.mjs <impl> [--connections=N]');
  process.exit(2);
}

/** Self size and count of every kind of heap object, keyed "type:constructor". */
function heapByConstructor() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const file = v8.writeHeapSnapshot(join(tmpdir(), `ssekit-${name}-${process.pid}.heapsnapshot`));
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(file);
  const fields = snapshot.meta.node_fields;
  const types = snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const kinds = new Map();
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]];
    // Strings and code are named by their content; group them by type alone.
    const label = /string|code/.test(type) ? '' : strings[nodes[i + nameAt]].slice(0, 60);
    const key = `${type}:${label}`;
    const kind = kinds.get(key) ?? { bytes: 0, count: 0 };
    kind.bytes += nodes[i + sizeAt];
    kind.count += 1;
    kinds.set(key, kind);
  }
  return kinds;
}

if (against !== undefined) {
  compare(name, against);
  process.exit(0);
}

/** Runs this script for `impl` in a process of its own: its rows by kind. */
function measure(impl) {
  const args = [
    '--expose-gc',
    process.argv[1],
    impl,
    ...flags.filter((f) => !f.startsWith('--against=')),
    '--json',
  ];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 }));
}

/** What `impl` holds per connection beyond `base`, kind by kind, largest difference first. */
function compare(impl, base) {
  const [mine, theirs] = [measure(impl), measure(base)];
  const baseRows = new Map(theirs.rows.map((row) => [row.key, row]));
  const keys = new Set([...mine.rows.map((row) => row.key), ...baseRows.keys()]);
  const mineRows = new Map(mine.rows.map((row) => [row.key, row]));
  const diff = [...keys].map((key) => {
    const [a, b] = [mineRows.get(key), baseRows.get(key)];
    return {
      key,
      bytes: (a?.bytes ?? 0) - (b?.bytes ?? 0),
      count: (a?.count ?? 0) - (b?.count ?? 0),
    };
  });
  console.log(
    `${impl}: ${Math.round(mine.total)} bytes of heap per connection, ${base}: ${Math.round(theirs.total)}; ${impl} holds ${Math.round(mine.total - theirs.total)} more (${connections} connections, Node ${process.version})`,
  );
  console.log('bytes/conn  objects/conn  kind (difference)');
  for (const row of diff.sort((x, y) => Math.abs(y.bytes) - Math.abs(x.bytes)).slice(0, top)) {
    console.log(
      `${row.bytes.toFixed(0).padStart(10)}  ${row.count.toFixed(2).padStart(12)}  ${row.key}`,
    );
  }
}

const app = await startApp(name);
// A deep accept queue, as bench:scale has: a full one resets connections on a busy machine.
await new Promise((resolve) =>
  app.server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
);
const { port } = app.server.address();

const before = heapByConstructor();
const sockets = [];
for (let i = 0; i < connections; i++) {
  const socket = net.connect(port, '127.0.0.1');
  socket.write(`GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  socket.resume();
  socket.on('error', (error) => {
    console.error(`a client failed (${error.code}): the figures would not be per connection`);
    process.exit(1);
  });
  sockets.push(socket);
  if (i % 100 === 99) await sleep(20);
}
const deadline = Date.now() + 30_000;
while (app.subscribers() < connections && Date.now() < deadline) await sleep(20);
const after = heapByConstructor();

const rows = [...after].map(([key, { bytes, count }]) => {
  const was = before.get(key) ?? { bytes: 0, count: 0 };
  return {
    key,
    bytes: (bytes - was.bytes) / connections,
    count: (count - was.count) / connections,
  };
});
const total = rows.reduce((sum, row) => sum + row.bytes, 0);
if (flags.includes('--json')) {
  console.log(
    JSON.stringify({ total, rows: rows.filter((row) => row.bytes !== 0 || row.count !== 0) }),
  );
  for (const socket of sockets) socket.destroy();
  await app.stop?.();
  process.exit(0);
}
console.log(
  `${name}: ${Math.round(total)} bytes of heap per connection (${app.subscribers()} open)`,
);
console.log('bytes/conn  objects/conn  kind');
for (const row of rows.sort((a, b) => b.bytes - a.bytes).slice(0, top)) {
  console.log(
    `${row.bytes.toFixed(0).padStart(10)}  ${row.count.toFixed(2).padStart(12)}  ${row.key}`,
  );
}
for (const socket of sockets) socket.destroy();
await app.stop?.();
process.exit(0);

/** The server of `name`: a bench implementation, or one of `bench:scale`'s two. */
async function startApp(impl) {
  if (impl === 'scale-raw' || impl === 'scale-ssekit') {
    const apps = await import('./lib/scale-apps.mjs');
    const heartbeatMs = option('heartbeat', 2_000);
    return impl === 'scale-raw' ? apps.rawApp(heartbeatMs) : apps.ssekitApp(heartbeatMs);
  }
  const module = await import(new URL(`./impls/${impl}.mjs`, import.meta.url));
  return module.start();
}
