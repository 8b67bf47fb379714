/**
 * One client process of `bench/scale.mjs`: many idle connections to one server port from a few
 * source addresses (127.0.0.x, each with its own ephemeral ports: binding a source port gets slow
 * on Linux as a source address fills up, so each gets a few thousand connections), counting
 * the broadcasts each receives by their marker text (heartbeat comments are not counted).
 * Driven over IPC: `connect`, then `arm` + `outcome` around each broadcast.
 */
import net from 'node:net';
import { SCALE_MARKER } from './scale-marker.mjs';

const MARKER = Buffer.from(SCALE_MARKER);
const HEADER_END = Buffer.from('\r\n\r\n');
const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

/** @type {{ socket: net.Socket, open: boolean, count: number, target: number, tail?: Buffer }[]} */
const connections = [];
let phase;
/** The outcome of the last armed phase. */
let armed;

/** Markers in `chunk`, including one split across two reads (the previous read's tail kept). */
function countMarkers(connection, chunk) {
  const bytes = connection.tail === undefined ? chunk : Buffer.concat([connection.tail, chunk]);
  let found = 0;
  for (let at = bytes.indexOf(MARKER); at !== -1; at = bytes.indexOf(MARKER, at + MARKER.length))
    found += 1;
  connection.tail = bytes.subarray(Math.max(0, bytes.length - MARKER.length + 1));
  return found;
}

function onData(connection, chunk) {
  if (!connection.open) {
    const end = chunk.indexOf(HEADER_END);
    if (!chunk.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 200')) {
      connection.socket.destroy();
      return;
    }
    connection.open = true;
    if (end === -1) return;
    chunk = chunk.subarray(end + HEADER_END.length);
  }
  const found = countMarkers(connection, chunk);
  if (found === 0) return;
  connection.count += found;
  if (phase !== undefined && connection.count === connection.target) phase.reached();
}

/** Times a connection may be reset during its handshake and tried again (a full accept queue). */
const RETRIES = 3;

/**
 * Opens `count` connections, from `localAddresses` in turn, at most `concurrency` handshakes at a
 * time. A connection reset before its response headers is tried again, at most RETRIES times.
 */
function connect({ port, localAddresses, count, concurrency = 100, timeoutMs = 120_000 }) {
  const started = Date.now();
  let next = 0;
  let opened = 0;
  let retried = 0;
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`connect: ${opened}/${count} open after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const attempt = (localAddress, triesLeft) => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress, noDelay: true });
      const connection = { socket, open: false, count: 0, target: 0, tail: undefined };
      socket.on('data', (chunk) => {
        const wasOpen = connection.open;
        onData(connection, chunk);
        if (wasOpen || !connection.open) return;
        connections.push(connection);
        opened += 1;
        if (opened === count) {
          clearTimeout(deadline);
          resolve({ connected: opened, retried, ms: Date.now() - started });
        } else openNext();
      });
      socket.on('connect', () => {
        socket.write(
          `GET /sse HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`,
        );
      });
      socket.on('error', (error) => {
        if (connection.open || triesLeft === 0) {
          clearTimeout(deadline);
          reject(new Error(`connect from ${localAddress}: ${error.code ?? error.message}`));
          return;
        }
        retried += 1;
        attempt(localAddress, triesLeft - 1);
      });
    };
    const openNext = () => {
      if (next >= count) return;
      attempt(localAddresses[next % localAddresses.length], RETRIES);
      next += 1;
    };
    for (let i = 0; i < Math.min(concurrency, count); i++) openNext();
  });
}

/** Every connection must get one more broadcast; `outcome` says when the last one did. */
function arm({ timeoutMs, graceMs = 500 }) {
  const expected = connections.length;
  let waiting = expected;
  let doneAt;
  for (const connection of connections) connection.target = connection.count + 1;
  phase = {
    reached() {
      waiting -= 1;
      if (waiting === 0) doneAt = nowMicros();
    },
  };
  armed = new Promise((resolve) => {
    const started = Date.now();
    const poll = () => {
      if (waiting > 0 && Date.now() - started < timeoutMs) return void setTimeout(poll, 20);
      // Then a grace period to catch a duplicate.
      setTimeout(() => {
        let lost = 0;
        let duplicated = 0;
        for (const { count, target } of connections) {
          if (count < target) lost += 1;
          if (count > target) duplicated += count - target;
        }
        phase = undefined;
        resolve({ doneAt, lost, duplicated, connections: expected });
      }, graceMs);
    };
    poll();
  });
  return { armed: expected };
}

const commands = {
  connect,
  arm,
  outcome: () => armed,
};

process.on('message', async ({ id, cmd, args }) => {
  try {
    process.send({ id, result: await commands[cmd](args) });
  } catch (error) {
    process.send({ id, error: error.message });
  }
});
process.on('disconnect', () => process.exit(0));
