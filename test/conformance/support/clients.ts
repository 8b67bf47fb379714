/**
 * Real clients for the suite, each wrapped once: Node's fetch read through `eventsource-parser`,
 * the `eventsource` package, a `node:http2` client, and a client that never reads.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { EventSource } from 'eventsource';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** What a parsing client has seen so far. */
export interface Received {
  events: EventSourceMessage[];
  comments: string[];
  retries: number[];
  /** Resolves when the body ends or the connection drops. */
  ended: Promise<void>;
}

/** A stream read with Node's fetch; `abort()` disconnects like a closed browser tab. */
export interface FetchedStream extends Received {
  response: Response;
  abort(): void;
}

export const SSE_HEADERS = { accept: 'text/event-stream' } as const;

function collector(): Received & { push(text: string): void; finish(): void } {
  let finish!: () => void;
  const received = {
    events: [] as EventSourceMessage[],
    comments: [] as string[],
    retries: [] as number[],
    ended: new Promise<void>((resolve) => {
      finish = resolve;
    }),
  };
  const parser = createParser({
    onEvent: (event) => received.events.push(event),
    onComment: (comment) => received.comments.push(comment),
    onRetry: (retry) => received.retries.push(retry),
  });
  return { ...received, push: (text) => parser.feed(text), finish: () => finish() };
}

/** Opens `url` with fetch and parses the body as it arrives. */
export async function fetchStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<FetchedStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { ...SSE_HEADERS, ...headers },
    signal: controller.signal,
  });
  const received = collector();
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body ?? [])
        received.push(decoder.decode(chunk, { stream: true }));
    } catch {
      // The connection dropped or was aborted: `ended` says so either way.
    }
    received.finish();
  })();
  return { ...received, response, abort: () => controller.abort() };
}

/** A fetch client that reads only while let: it starts paused, as a reader that stalls. */
export interface GatedStream extends Received {
  /** Reads on, as fast as the body comes, or waiting `delayMs` after each {@link PACED_BYTES}. */
  resume(delayMs?: number): void;
  abort(): void;
}

/**
 * How much a slow reader takes between its waits: a count of bytes, not of chunks, since the size
 * of the chunks fetch hands out differs between runtimes (a quarter as large on Node 26 as on 24).
 */
const PACED_BYTES = 128 * 1024;

/** Opens `url` with fetch and reads the body only after `resume()`. */
export async function gatedFetchStream(url: string): Promise<GatedStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: SSE_HEADERS, signal: controller.signal });
  const received = collector();
  let open!: (delayMs: number) => void;
  const resumed = new Promise<number>((resolve) => {
    open = resolve;
  });
  void (async () => {
    const decoder = new TextDecoder();
    try {
      const delayMs = await resumed;
      let unpaced = 0;
      for await (const chunk of response.body ?? []) {
        received.push(decoder.decode(chunk, { stream: true }));
        unpaced += chunk.byteLength;
        if (delayMs > 0 && unpaced >= PACED_BYTES) {
          unpaced = 0;
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
      }
    } catch {
      // The connection dropped or was aborted: `ended` says so either way.
    }
    received.finish();
  })();
  return { ...received, resume: (delayMs = 0) => open(delayMs), abort: () => controller.abort() };
}

/** An `eventsource` client that records every message of the given event types. */
export interface RecordedEventSource {
  messages: Array<{ type: string; data: string; lastEventId: string }>;
  errors: number;
  opens: number;
  close(): void;
}

export function recordEventSource(url: string, types: string[] = ['message']): RecordedEventSource {
  const source = new EventSource(url);
  const recorded: RecordedEventSource = {
    messages: [],
    errors: 0,
    opens: 0,
    close: () => source.close(),
  };
  for (const type of types) {
    source.addEventListener(type, (event) => {
      recorded.messages.push({ type, data: event.data, lastEventId: event.lastEventId });
    });
  }
  source.addEventListener('open', () => {
    recorded.opens += 1;
  });
  source.addEventListener('error', () => {
    recorded.errors += 1;
  });
  return recorded;
}

/** A stream read over cleartext HTTP/2; `close()` cancels the stream (RST_STREAM). */
export interface Http2Stream extends Received {
  status: number;
  headers: http2.IncomingHttpHeaders;
  close(): void;
}

export function http2Stream(origin: string, path: string): Promise<Http2Stream> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(origin);
    session.on('error', () => {});
    const request = session.request({ ':path': path, ...SSE_HEADERS });
    const received = collector();
    request.setEncoding('utf8');
    request.on('data', (text: string) => received.push(text));
    request.on('close', () => received.finish());
    request.on('error', () => {});
    request.once('response', (headers) => {
      resolve({
        ...received,
        status: Number(headers[':status']),
        headers,
        close: () => {
          request.close(http2.constants.NGHTTP2_CANCEL);
          session.close();
        },
      });
    });
    session.once('error', reject);
  });
}

/** A client that receives the response headers and then never reads the body. */
export interface PausedClient {
  statusCode: number;
  destroy(): void;
}

export function pausedClient(url: string): Promise<PausedClient> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: SSE_HEADERS }, (response) => {
      response.pause();
      resolve({ statusCode: response.statusCode ?? 0, destroy: () => request.destroy() });
    });
    request.on('error', reject);
  });
}

/** Resolves `true` if `promise` settles within `ms`, `false` otherwise. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/** A header value as Node's HTTP/1.1 client puts it on the wire: each byte of UTF-8 as latin1. */
export function asHeaderBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * Opens `url` on a raw socket and, once the first bytes arrive, resets the connection (TCP RST),
 * as a client does when it crashes or its network drops.
 */
export function resetAfterFirstBytes(url: string): Promise<void> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`,
      );
    });
    socket.once('error', reject);
    socket.once('data', () => {
      socket.resetAndDestroy();
      resolve();
    });
  });
}

/** A request whose client may leave before any answer: `leave()` closes its connection. */
export interface LeavingClient {
  leave(): void;
}

/** Sends one event-stream request over a connection of its own (HTTP/2 when `overHttp2`). */
export function requestThenLeave(origin: string, path: string, overHttp2 = false): LeavingClient {
  if (overHttp2) {
    const session = http2.connect(origin);
    session.on('error', () => {});
    session.request({ ':path': path, ...SSE_HEADERS }).on('error', () => {});
    return { leave: () => session.destroy() };
  }
  const request = http.get(`${origin}${path}`, { agent: false, headers: SSE_HEADERS });
  request.on('error', () => {});
  return { leave: () => request.destroy() };
}

/** A raw HTTP/1.1 connection that pipelines `count` event-stream requests at once. */
export function pipelinedRequests(url: string, count: number): LeavingClient {
  const { hostname, port, pathname } = new URL(url);
  const socket = net.connect(Number(port), hostname, () => {
    const request = `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`;
    socket.write(request.repeat(count));
  });
  socket.on('error', () => {});
  return { leave: () => socket.destroy() };
}

/** What {@link plainRequest} read: the whole answer. */
export interface PlainAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request with exactly the headers given (`node:http` adds no `Accept`, unlike fetch and
 * supertest), read to its end. For answers that end: 406, HEAD, a stream the server closes.
 */
export function plainRequest(
  url: string,
  { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {},
): Promise<PlainAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}
