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
  type EventMap,
  type EventStream,
  type EventStreamOptions,
} from '../event-stream.js';
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
  writeHead(statusCode: number): unknown;
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
  for (const [name, value] of stream.headers) res.setHeader(name, value);
  res.writeHead(200);
  res.flushHeaders?.();
  stream[attachSink]((source) => createResponseSink(source, res));
  return stream;
}

function createResponseSink(source: SinkSource, res: NodeResponseLike): Sink {
  let scheduled = false;
  let awaitingDrain = false;
  let ending = false;
  let released = false;

  const write = () => {
    scheduled = false;
    if (released || awaitingDrain) return;
    const chunks = source.take();
    if (chunks !== undefined) {
      let writable: boolean;
      try {
        writable = res.write(
          chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks),
        );
        res.flush?.();
      } catch (error) {
        source.disconnected(error);
        return;
      }
      if (!writable) {
        awaitingDrain = true;
        return;
      }
      source.drained();
    }
    if (ending) finish();
  };

  const onDrain = () => {
    awaitingDrain = false;
    source.drained();
    write();
  };
  const onClose = () => {
    if (!res.writableEnded) source.disconnected();
    release();
  };
  const onError = (error: Error) => source.disconnected(error);

  const release = () => {
    if (released) return;
    released = true;
    res.off('drain', onDrain);
    res.off('close', onClose);
    res.off('error', onError);
  };

  const finish = () => {
    release();
    if (!res.writableEnded) res.end();
  };

  res.on('drain', onDrain);
  res.on('close', onClose);
  res.on('error', onError);

  return {
    // Bytes the response accepted below its own high-water mark count as sent, like Node does:
    // no 'drain' would ever announce them leaving.
    get bufferedBytes() {
      return awaitingDrain && !released ? res.writableLength : 0;
    },
    wake() {
      if (scheduled || awaitingDrain || released) return;
      scheduled = true;
      scheduleWrite(write);
    },
    end() {
      ending = true;
      if (!scheduled && !awaitingDrain) write();
    },
    destroy() {
      if (released) return;
      release();
      if (!res.writableEnded && !res.destroyed) res.destroy();
    },
  };
}

/**
 * One setImmediate for every response with queued bytes: a broadcast to thousands of clients
 * costs one scheduled callback, and every event queued in this turn leaves in one write.
 */
let pendingWrites: Array<() => void> = [];

function scheduleWrite(write: () => void): void {
  if (pendingWrites.length === 0) setImmediate(flushPendingWrites);
  pendingWrites.push(write);
}

function flushPendingWrites(): void {
  const writes = pendingWrites;
  pendingWrites = [];
  for (const write of writes) write();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
