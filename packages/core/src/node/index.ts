/**
 * `@ssekit/core/node`: the one bridge from an EventStream to a Node `ServerResponse`
 * (node:http, and node:http2's compatibility API). Express and Koa adapters use only this.
 *
 * Bytes are written straight to the response rather than through a web ReadableStream: the
 * reader-loop alternative costs a promise per chunk (figures in the core README). Writes queued
 * in one turn of the event loop leave as one chunk.
 */
import {
  createEventStream,
  DEFAULT_HEARTBEAT_MS,
  type EventMap,
  type EventStream,
  type EventStreamOptions,
} from '../event-stream.js';
import { DEFAULT_HEADERS } from '../headers.js';
import { readLastEventId } from '../last-event-id.js';
import { attachSink, type Sink, type SinkSource } from '../sink.js';

/** The parts of an incoming request the bridge reads (http and http2 requests both fit). */
export interface NodeRequestLike {
  headers: Record<string, string | string[] | undefined>;
  url?: string;
}

/** The parts of a Node response the bridge drives (http and http2 compatibility responses). */
export interface NodeResponseLike {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableLength: number;
  readonly destroyed: boolean;
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  writeHead(statusCode: number, headers: Readonly<Record<string, string>>): unknown;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  destroy(error?: Error): unknown;
  on(event: 'close' | 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'close' | 'drain', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  flushHeaders?(): void;
  /** Added by compression middleware; pushes compressed bytes out now. */
  flush?(): void;
  /** Idle timeout of the socket; with no 'timeout' listener, Node destroys the socket when it fires. */
  setTimeout?(msecs: number): unknown;
}

/**
 * Opens an event stream on a Node response: writes status 200 and the event-stream headers at
 * once (so the browser's `onopen` fires), reads `Last-Event-ID` (re-decoded from latin1 to
 * UTF-8) or the `lastEventId` query parameter, honours `write()` backpressure and `'drain'`,
 * detects the client leaving through the response's `'close'`, and flushes compression
 * middleware after every write.
 */
export function openEventStream<Events extends EventMap = EventMap>(
  req: NodeRequestLike,
  res: NodeResponseLike,
  options: EventStreamOptions = {},
): EventStream<Events> {
  const stream = createEventStream<Events>({
    ...options,
    lastEventId:
      options.lastEventId ?? readLastEventId(headerValue(req.headers['last-event-id']), req.url),
  });
  // Without extra headers every connection shares one frozen record: no header objects of its own.
  res.writeHead(
    200,
    options.headers === undefined ? DEFAULT_HEADERS : Object.fromEntries(stream.headers),
  );
  res.flushHeaders?.();
  const closeTimeoutMs =
    typeof options.heartbeat === 'number' ? options.heartbeat : DEFAULT_HEARTBEAT_MS;
  stream[attachSink]((source) => createResponseSink(source, res, closeTimeoutMs));
  return stream;
}

/** An event stream that opens at first use; see {@link lazyEventStream}. */
export interface LazyEventStream<Events extends EventMap = EventMap> {
  /** Opens the stream on first call (status 200 and headers go out at once) and returns it. */
  open(): EventStream<Events>;
  /** The stream if it was opened, else `undefined`. */
  opened(): EventStream<Events> | undefined;
}

/**
 * The stream a framework adapter exposes as a property (`res.sse`, `ctx.sse`): it opens at first
 * use, so a route can still answer 401 or 404 before it. `name` is how the adapter exposes it,
 * named in the error when it is opened after the response was sent. `onOpen` lets the adapter
 * take the response away from its framework.
 */
export function lazyEventStream<Events extends EventMap = EventMap>(
  req: NodeRequestLike,
  res: NodeResponseLike,
  options: EventStreamOptions,
  name: string,
  onOpen?: (stream: EventStream<Events>) => void,
): LazyEventStream<Events> {
  let stream: EventStream<Events> | undefined;
  return {
    open() {
      if (stream !== undefined) return stream;
      if (res.headersSent) {
        throw new TypeError(
          `ssekit: ${name} was read after the response was sent; answer errors (401, 404) without touching ${name}, and read it only to stream.`,
        );
      }
      stream = openEventStream<Events>(req, res, options);
      onOpen?.(stream);
      return stream;
    },
    opened: () => stream,
  };
}

/** Where a response's sink is kept, so the three listeners are shared functions, not closures. */
const SINK = Symbol('ssekit.responseSink');

interface SinkedResponse extends NodeResponseLike {
  [SINK]?: ResponseSink;
}

function createResponseSink(
  source: SinkSource,
  res: NodeResponseLike,
  closeTimeoutMs: number,
): Sink {
  return new ResponseSink(source, res, closeTimeoutMs);
}

/**
 * The Node sink. A class with shared listeners rather than a set of closures: thousands of idle
 * connections each cost one small object here.
 */
class ResponseSink implements Sink {
  #scheduled = false;
  #awaitingDrain = false;
  #ending = false;
  #released = false;
  readonly #source: SinkSource;
  readonly #res: SinkedResponse;
  /** After `close()`, how long the client may take nothing before it is cut off. */
  readonly #closeTimeoutMs: number;

  constructor(source: SinkSource, res: SinkedResponse, closeTimeoutMs: number) {
    this.#source = source;
    this.#res = res;
    this.#closeTimeoutMs = closeTimeoutMs;
    res[SINK] = this;
    res.on('drain', onResponseDrain);
    res.on('close', onResponseClose);
    res.on('error', onResponseError);
  }

  // Bytes the response accepted below its own high-water mark count as sent, like Node does:
  // no 'drain' would ever announce them leaving.
  get bufferedBytes(): number {
    return this.#awaitingDrain && !this.#released ? this.#res.writableLength : 0;
  }

  wake(): void {
    if (this.#scheduled || this.#awaitingDrain || this.#released) return;
    this.#scheduled = true;
    scheduleWrite(this);
  }

  end(): void {
    this.#ending = true;
    // What is left may never be taken: a client that stopped reading would hold the connection,
    // and a graceful server shutdown, forever. Node cuts the socket off once it has been idle
    // (nothing taken) this long; a client that keeps reading keeps it alive.
    this.#res.setTimeout?.(this.#closeTimeoutMs);
    if (!this.#scheduled && !this.#awaitingDrain) this.write();
  }

  destroy(): void {
    if (this.#released) return;
    this.#release();
    const res = this.#res;
    if (!res.writableEnded && !res.destroyed) res.destroy();
  }

  /** Writes everything queued as one chunk. */
  write(): void {
    this.#scheduled = false;
    if (this.#released || this.#awaitingDrain) return;
    const chunks = this.#source.take();
    if (chunks !== undefined) {
      const res = this.#res;
      let writable: boolean;
      try {
        writable = res.write(
          chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks),
        );
        res.flush?.();
      } catch (error) {
        this.#source.disconnected(error);
        return;
      }
      if (!writable) {
        this.#awaitingDrain = true;
        return;
      }
      this.#source.drained();
    }
    if (this.#ending) this.#finish();
  }

  drained(): void {
    this.#awaitingDrain = false;
    this.#source.drained();
    this.write();
  }

  closed(): void {
    if (!this.#res.writableEnded) this.#source.disconnected();
    this.#release();
  }

  failed(error: Error): void {
    this.#source.disconnected(error);
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    const res = this.#res;
    res.off('drain', onResponseDrain);
    res.off('close', onResponseClose);
    res.off('error', onResponseError);
    res[SINK] = undefined;
  }

  #finish(): void {
    this.#release();
    if (!this.#res.writableEnded) this.#res.end();
  }
}

function onResponseDrain(this: SinkedResponse): void {
  this[SINK]?.drained();
}

function onResponseClose(this: SinkedResponse): void {
  this[SINK]?.closed();
}

function onResponseError(this: SinkedResponse, error: Error): void {
  this[SINK]?.failed(error);
}

/**
 * One setImmediate for every response with queued bytes: a broadcast to thousands of clients
 * costs one scheduled callback, and every event queued in this turn leaves in one write.
 */
let pendingWrites: ResponseSink[] = [];

function scheduleWrite(sink: ResponseSink): void {
  if (pendingWrites.length === 0) setImmediate(flushPendingWrites);
  pendingWrites.push(sink);
}

function flushPendingWrites(): void {
  const sinks = pendingWrites;
  pendingWrites = [];
  for (const sink of sinks) sink.write();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
