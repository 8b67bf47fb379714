/**
 * The load client, in its own process: raw `net` sockets, one HTTP/1.1 GET each, counting event
 * terminators (a blank line, `\n\n`) on every connection. No SSE parser, no HTTP client: the
 * client must stay cheaper than the fastest server it measures.
 *
 * Driven over IPC by run.mjs. Every reply carries what is needed to call a run wrong: events
 * missing (lost) or beyond the expected count (duplicated).
 */
import net from 'node:net';
import { percentile } from './stats.mjs';

const LF = 0x0a;
const HEADER_END = Buffer.from('\r\n\r\n');
const TERMINATOR = Buffer.from('\n\n');
const TIME_FIELD = Buffer.from('"t":');
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** @type {Connection[]} */
let connections = [];
/** The phase in progress: what to count, when to report. */
let phase;
/** The outcome of the last armed phase. */
let armed;

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

class Connection {
  constructor(socket) {
    this.socket = socket;
    this.headers = Buffer.alloc(0);
    this.open = false;
    this.count = 0;
    this.lastWasLF = false;
    this.target = 0;
    this.pending = undefined;
  }

  /** Counts `\n\n` in a chunk, including one split across two reads. */
  countTerminators(chunk) {
    let found = 0;
    if (this.lastWasLF && chunk[0] === LF) found += 1;
    let at = chunk.indexOf('\n\n');
    while (at !== -1) {
      found += 1;
      at = chunk.indexOf('\n\n', at + 2);
    }
    this.lastWasLF = chunk[chunk.length - 1] === LF;
    return found;
  }

  onBody(chunk) {
    const found = this.countTerminators(chunk);
    if (phase?.latency) this.recordLatency(chunk);
    if (found === 0) return;
    const before = this.count;
    this.count += found;
    if (phase === undefined) return;
    if (before < this.target && this.count >= this.target) phase.reached();
  }

  /**
   * Each latency event carries `"t":<send time in µs>`. Parsed from the bytes without building
   * strings (the client must stay cheap); an event split across two reads waits for its end.
   */
  recordLatency(chunk) {
    const received = nowMicros();
    const bytes = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    const lastEnd = bytes.lastIndexOf(TERMINATOR);
    // After the last event there is at most the chunk's closing CRLF, unless an event was split.
    const tail = lastEnd === -1 ? bytes : bytes.subarray(lastEnd + 2);
    this.pending = tail.length > 2 ? tail : undefined;
    let at = bytes.indexOf(TIME_FIELD);
    while (at !== -1 && at < lastEnd) {
      let sent = 0;
      for (let i = at + TIME_FIELD.length; bytes[i] >= DIGIT_0 && bytes[i] <= DIGIT_9; i++) {
        sent = sent * 10 + bytes[i] - DIGIT_0;
      }
      phase.latency.record(sent, received - sent);
      at = bytes.indexOf(TIME_FIELD, at + TIME_FIELD.length);
    }
  }
}

/**
 * Opens `count` connections to `path`, at most `concurrency` TCP handshakes at a time. A
 * connection counts as open once its request is written: some servers hold the response headers
 * back until the first event (srvx does), so readiness is the server's subscriber count.
 */
async function connect({ port, path, count, concurrency = 200, timeoutMs = 60_000 }) {
  const started = Date.now();
  const failures = [];
  let next = 0;
  let opened = 0;
  await new Promise((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`connect: ${opened}/${count} open after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const openOne = () => {
      if (next >= count) return;
      next += 1;
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
      const connection = new Connection(socket);
      connections.push(connection);
      socket.on('connect', () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`,
        );
        opened += 1;
        if (opened === count) {
          clearTimeout(deadline);
          resolve();
        } else openOne();
      });
      socket.on('data', (chunk) => {
        if (connection.open) return connection.onBody(chunk);
        connection.headers = Buffer.concat([connection.headers, chunk]);
        const end = connection.headers.indexOf(HEADER_END);
        if (end === -1) return;
        const head = connection.headers.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 200')) {
          failures.push(head.split('\r\n')[0]);
          socket.destroy();
          return;
        }
        connection.open = true;
        const rest = connection.headers.subarray(end + HEADER_END.length);
        connection.headers = undefined;
        if (rest.length > 0) connection.onBody(rest);
      });
      socket.on('error', (error) => failures.push(error.code ?? error.message));
      socket.on('close', () => {
        if (opened < count) {
          clearTimeout(deadline);
          reject(new Error(`connect: a connection closed early (${failures.at(-1)})`));
        }
      });
    };
    for (let i = 0; i < Math.min(concurrency, count); i++) openOne();
  });
  if (failures.length > 0) throw new Error(`connect: ${failures.slice(0, 3).join(', ')}`);
  return { connected: opened, ms: Date.now() - started };
}

/**
 * Arms a phase: every connection must get `events` more terminators than it has now. The outcome
 * (see {@link outcome}) waits for that, then `graceMs` more to catch duplicates, and reports the
 * monotonic time (µs) at which the last connection got its last event.
 */
function arm({ events, timeoutMs, graceMs = 200, latencyCapacity = 0, warmupMicros = 0 }) {
  armed = new Promise((resolve) => {
    let waiting = connections.length;
    let doneAt;
    const latency = latencyCapacity > 0 ? latencySamples(latencyCapacity, warmupMicros) : undefined;
    const finish = (timedOut) => {
      clearTimeout(deadline);
      phase = undefined;
      let lost = 0;
      let duplicated = 0;
      for (const connection of connections) {
        if (connection.count < connection.target) lost += connection.target - connection.count;
        if (connection.count > connection.target)
          duplicated += connection.count - connection.target;
      }
      resolve({
        doneAt,
        timedOut,
        lost,
        duplicated,
        expected: events * connections.length,
        latency: latency?.summary(),
      });
    };
    const deadline = setTimeout(() => finish(true), timeoutMs);
    phase = {
      latency,
      reached() {
        waiting -= 1;
        if (waiting === 0) {
          doneAt = nowMicros();
          clearTimeout(deadline);
          setTimeout(() => finish(false), graceMs);
        }
      },
    };
    for (const connection of connections) connection.target = connection.count + events;
  });
  return { armed: connections.length };
}

/** The outcome of the armed phase. */
function outcome() {
  return armed;
}

/**
 * Latency samples of the probes sent `warmupMicros` or more after the first one. Probes reach each
 * connection in order, so the first probe seen anywhere is the first one sent.
 */
function latencySamples(capacity, warmupMicros) {
  const samples = new Float64Array(capacity);
  let size = 0;
  let firstSent;
  return {
    record(sent, micros) {
      firstSent ??= sent;
      if (sent - firstSent >= warmupMicros && size < capacity) samples[size++] = micros;
    },
    summary() {
      const sorted = samples.subarray(0, size).sort();
      return {
        samples: size,
        p50: percentile(sorted, 0.5) / 1000,
        p99: percentile(sorted, 0.99) / 1000,
        max: (sorted[size - 1] ?? 0) / 1000,
      };
    },
  };
}

/**
 * One connection reading `/stream?n=`; events per second from request to last event. Done when
 * the server ends the response, or `graceMs` after the last event (some servers end it seconds
 * later): an extra event within the grace is a duplicate, as in a fan-out phase.
 */
function stream({ port, events, timeoutMs, graceMs = 200 }) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const connection = new Connection(socket);
    let started;
    let doneAt;
    let headers = Buffer.alloc(0);
    let finished = false;
    const finish = (timedOut) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      socket.destroy();
      const lost = Math.max(0, events - connection.count);
      const duplicated = Math.max(0, connection.count - events);
      const seconds = doneAt === undefined ? undefined : (doneAt - started) / 1e6;
      resolve({ timedOut, lost, duplicated, seconds, rate: seconds && events / seconds });
    };
    const deadline = setTimeout(() => finish(true), timeoutMs);
    socket.on('connect', () => {
      started = nowMicros();
      socket.write(
        `GET /stream?n=${events} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`,
      );
    });
    socket.on('data', (chunk) => {
      if (!connection.open) {
        headers = Buffer.concat([headers, chunk]);
        const end = headers.indexOf(HEADER_END);
        if (end === -1) return;
        connection.open = true;
        chunk = headers.subarray(end + HEADER_END.length);
      }
      connection.count += connection.countTerminators(chunk);
      if (doneAt === undefined && connection.count >= events) {
        doneAt = nowMicros();
        setTimeout(() => finish(false), graceMs);
      }
    });
    socket.on('end', () => finish(false));
    socket.on('error', () => finish(true));
  });
}

function closeAll() {
  for (const connection of connections) connection.socket.destroy();
  connections = [];
  return { closed: true };
}

const commands = { connect, arm, outcome, stream, closeAll };

process.on('message', async ({ id, cmd, args }) => {
  try {
    const result = await commands[cmd](args);
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: error.message });
  }
});
process.on('disconnect', () => process.exit(0));
