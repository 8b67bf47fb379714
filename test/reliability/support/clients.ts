/**
 * Clients we did not write: node:http requests whose bodies are parsed by eventsource-parser,
 * and raw TCP for requests no well-behaved client would send.
 */
import { type Agent, request } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import { connect } from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { until } from './wait.js';

export interface SseClient {
  readonly status: Promise<number>;
  readonly events: EventSourceMessage[];
  readonly comments: string[];
  readonly retries: number[];
  /** Parse errors reported by eventsource-parser (a malformed stream). */
  readonly parseErrors: Error[];
  /** Resolves when the server ended the body or the connection closed. */
  readonly ended: Promise<void>;
  isEnded(): boolean;
  /** Waits until at least `count` events arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<void>;
  /** Drops the connection from the client side. */
  destroy(): void;
}

export interface ClientOptions {
  headers?: Record<string, string>;
  /**
   * The connection's agent; default none (`agent: false`), a fresh connection closed with its
   * response. A keep-alive agent keeps it open after the stream ends, as browsers and fetch do.
   */
  agent?: Agent;
  /** Parser cap in characters; the default (none) reads events of any size. */
  maxBufferSize?: number;
}

/** Opens one event-stream request with a fresh connection (no agent pooling). */
export function openClient(url: string, options: ClientOptions = {}): SseClient {
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parseErrors: Error[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onComment: (comment) => comments.push(comment),
    onRetry: (retry) => retries.push(retry),
    onError: (error) => parseErrors.push(error),
    maxBufferSize: options.maxBufferSize,
  });
  let ended = false;
  let resolveEnded!: () => void;
  const endedPromise = new Promise<void>((resolve) => {
    resolveEnded = () => {
      ended = true;
      resolve();
    };
  });
  const req = request(url, {
    agent: options.agent ?? false,
    headers: { accept: 'text/event-stream', ...options.headers },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.once('response', (res) => {
      resolve(res.statusCode ?? 0);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.feed(chunk));
      res.once('close', resolveEnded);
      res.on('error', () => {});
    });
    req.once('error', (error) => {
      reject(error);
      resolveEnded();
    });
  });
  status.catch(() => {});
  req.once('close', resolveEnded);
  req.end();
  return {
    status,
    events,
    comments,
    retries,
    parseErrors,
    ended: endedPromise,
    isEnded: () => ended,
    waitForEvents: (count, timeoutMs = 10_000) =>
      until(
        () => events.length >= count,
        () => `${count} events (got ${events.length})`,
        timeoutMs,
      ),
    destroy: () => req.destroy(),
  };
}

/** What a churn wave needs: where clients connect, and the server's open streams by path. */
export interface ChurnWave {
  origin: string;
  count: number;
  /** The path of client `i`; `live` is keyed by it. */
  pathOf: (client: number) => string;
  /** Sent as `Last-Event-ID` by every third client, so the replay path runs too. */
  lastId: string;
  live: ReadonlyMap<string, { close(): void }>;
  firstEventTimeoutMs: number;
}

/**
 * One wave of connection churn: `count` clients connect and each waits for a first event; then
 * half drop their connection and the server closes the other half's streams. Resolves when
 * every client's connection has ended.
 */
export async function churnWave(wave: ChurnWave): Promise<void> {
  const clients: SseClient[] = [];
  for (let i = 0; i < wave.count; i++) {
    const headers: Record<string, string> = i % 3 === 0 ? { 'last-event-id': wave.lastId } : {};
    clients.push(openClient(`${wave.origin}${wave.pathOf(i)}`, { headers }));
  }
  await until(
    () => clients.every((client) => client.events.length > 0),
    'a first event for every client',
    wave.firstEventTimeoutMs,
  );
  clients.forEach((client, i) => {
    if (i % 2 === 0) client.destroy();
    else wave.live.get(wave.pathOf(i))?.close();
  });
  await Promise.all(clients.map((client) => client.ended));
}

export interface RawResponse {
  /** The status code, or 0 when the server closed without answering. */
  status: number;
  /** The body parsed by eventsource-parser (HTTP/1.0: no chunked framing to undo). */
  events: EventSourceMessage[];
}

/**
 * Sends a raw HTTP/1.0 request with a header value no HTTP client would build (bare CR, NUL,
 * invalid UTF-8) and reads the whole answer: HTTP/1.0 makes the server close when it is done.
 */
export async function rawRequest(
  port: number,
  path: string,
  headerValue?: Uint8Array,
): Promise<RawResponse> {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const head = [Buffer.from(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\n`, 'latin1')];
  if (headerValue !== undefined) {
    head.push(
      Buffer.from('Last-Event-ID: ', 'latin1'),
      Buffer.from(headerValue),
      Buffer.from('\r\n'),
    );
  }
  head.push(Buffer.from('\r\n'));
  socket.write(Buffer.concat(head));
  await closed;
  const response = Buffer.concat(chunks);
  const split = response.indexOf('\r\n\r\n');
  const statusLine = response.subarray(0, response.indexOf('\r\n')).toString('latin1');
  const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const events: EventSourceMessage[] = [];
  if (split !== -1) {
    createParser({ onEvent: (event) => events.push(event) }).feed(
      response.subarray(split + 4).toString('utf8'),
    );
  }
  return { status, events };
}

export interface PausedClient {
  /** Bytes read so far (nothing while paused). */
  received(): number;
  /** Reads again: what the kernel and the server held now flows in. */
  resume(): void;
  /** The body so far, parsed by eventsource-parser. */
  events(): EventSourceMessage[];
  readonly closed: Promise<void>;
  destroy(): void;
}

/**
 * Opens an event stream over a raw socket and stops reading it at once: the kernel buffers fill
 * and the server sees a client that does not read. HTTP/1.0, so the body is the bare stream.
 */
export function openPausedClient(port: number, path: string): PausedClient {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let received = 0;
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    received += chunk.byteLength;
    chunks.push(chunk);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  socket.pause();
  return {
    received: () => received,
    resume: () => socket.resume(),
    events: () => {
      const response = Buffer.concat(chunks);
      const split = response.indexOf('\r\n\r\n');
      const events: EventSourceMessage[] = [];
      if (split === -1) return events;
      createParser({ onEvent: (event) => events.push(event) }).feed(
        response.subarray(split + 4).toString('utf8'),
      );
      return events;
    },
    closed,
    destroy: () => socket.destroy(),
  };
}

/** Where a hit-and-run client leaves. */
export type LeavePoint =
  /** `after` ms once connected, whatever has arrived by then (often before the stream opens). */
  | { after: number }
  /** On the first bytes of the body (with a Last-Event-ID: during the replay). */
  | 'first-bytes';

/**
 * Sends one event-stream request on a fresh connection and drops the connection at `leave`.
 * Resolves once the connection has closed, whoever closed it.
 */
export function hitAndRun(
  url: string,
  leave: LeavePoint,
  headers: Record<string, string> = {},
): Promise<void> {
  const req = request(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } });
  const closed = new Promise<void>((resolve) => req.once('close', () => resolve()));
  req.on('error', () => {});
  req.once('response', (res) => {
    res.on('error', () => {});
    if (leave === 'first-bytes') res.once('data', () => req.destroy());
    else res.resume();
  });
  if (leave !== 'first-bytes') {
    req.once('socket', (socket) => {
      socket.once('connect', () => setTimeout(() => req.destroy(), leave.after));
    });
  }
  req.end();
  return closed;
}

/** {@link hitAndRun} over HTTP/2 (h2c): one session per client, destroyed at `leave`. */
export function hitAndRunHttp2(
  origin: string,
  path: string,
  leave: LeavePoint,
  headers: Record<string, string> = {},
): Promise<void> {
  const session = connectHttp2(origin);
  const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
  session.on('error', () => {});
  const stream = session.request({ ':path': path, accept: 'text/event-stream', ...headers });
  stream.on('error', () => {});
  if (leave === 'first-bytes') stream.once('data', () => session.destroy());
  else {
    stream.resume();
    session.once('connect', () => setTimeout(() => session.destroy(), leave.after));
  }
  return closed;
}
