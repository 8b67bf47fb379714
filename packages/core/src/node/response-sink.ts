/**
 * The sink that writes an event stream's bytes to a Node response: writes queued in one turn of
 * the event loop leave as one chunk, `write()` backpressure waits for `'drain'`, and the
 * response's `'close'` (or its HTTP/1.1 socket's) ends the stream.
 */
import type { Sink, SinkSource } from '../sink.js';
import { DEFAULT_HEARTBEAT_MS } from '../stream-options.js';
import { closeAfterShutdown } from './close-after-shutdown.js';
import { type ConnectionHolder, hold, isConnectionGone, letGo } from './connection.js';
import type { NodeResponseLike, NodeSocketLike } from './types.js';

/** A write of the sink is scheduled (see `scheduleWrite`). */
const SCHEDULED = 1;
/** The response asked to wait for `'drain'`. */
const AWAITING_DRAIN = 2;
/** The stream closed: the sink ends the response once what is queued is written. */
const ENDING = 4;
/** The sink let go of the response: it writes nothing more. */
const RELEASED = 8;

/** Where a response's sink is kept, so the three listeners are shared functions, not closures. */
const SINK = Symbol('ssekit.responseSink');

interface SinkedResponse extends NodeResponseLike {
  [SINK]?: ResponseSink;
}

/**
 * The Node sink. A class with shared listeners rather than a set of closures: thousands of idle
 * connections each cost one small object here.
 */
export class ResponseSink implements Sink, ConnectionHolder {
  /** `SCHEDULED`, `AWAITING_DRAIN`, `ENDING`, `RELEASED`: bits of one field, not four fields. */
  #flags = 0;
  readonly #source: SinkSource;
  readonly #res: SinkedResponse;
  /** After `close()`, how long the client may take nothing before it is cut off. */
  readonly #closeTimeoutMs: number;
  /** The HTTP/1.1 socket this stream holds, if it holds one. */
  readonly #socket: NodeSocketLike | undefined;

  /** `socket`: the HTTP/1.1 connection the stream holds as its one live stream. */
  constructor(
    source: SinkSource,
    res: SinkedResponse,
    closeTimeoutMs: number,
    socket: NodeSocketLike | undefined,
  ) {
    this.#source = source;
    this.#res = res;
    this.#closeTimeoutMs = closeTimeoutMs;
    this.#socket = socket;
    res[SINK] = this;
    res.on('close', onResponseClose);
    res.on('error', onResponseError);
    // A response queued behind another on its connection has no socket yet, and on some Node
    // lines never closes when the socket dies: only then does the sink listen to the socket.
    if (socket !== undefined) hold(socket, this, res.socket === socket);
  }

  // Bytes the response accepted below its own high-water mark count as sent, like Node does:
  // no 'drain' would ever announce them leaving.
  get bufferedBytes(): number {
    return (this.#flags & (AWAITING_DRAIN | RELEASED)) === AWAITING_DRAIN
      ? this.#res.writableLength
      : 0;
  }

  wake(): void {
    if ((this.#flags & (SCHEDULED | AWAITING_DRAIN | RELEASED)) !== 0) return;
    this.#flags |= SCHEDULED;
    scheduleWrite(this);
  }

  end(): void {
    this.#flags |= ENDING;
    // What is left may never be taken: a client that stopped reading would hold the connection,
    // and a graceful server shutdown, forever. Node cuts the socket off once it has been idle
    // (nothing taken) this long; a client that keeps reading keeps it alive.
    this.#res.setTimeout?.(this.#closeTimeoutMs);
    if ((this.#flags & (SCHEDULED | AWAITING_DRAIN)) === 0) this.write();
  }

  destroy(): void {
    if ((this.#flags & RELEASED) !== 0) return;
    this.#release();
    const res = this.#res;
    if (!res.writableEnded && !res.destroyed) res.destroy();
  }

  /** Writes what is queued, a batch at a time, until the response asks to wait for `'drain'`. */
  write(): void {
    this.#flags &= ~SCHEDULED;
    if ((this.#flags & (RELEASED | AWAITING_DRAIN)) !== 0) return;
    const res = this.#res;
    // A response whose connection died without a 'close' reaching us accepts nothing, silently.
    if (isConnectionGone(res, this.#socket)) {
      this.connectionClosed();
      return;
    }
    let wrote = false;
    for (let chunks = this.#source.take(); chunks !== undefined; chunks = this.#source.take()) {
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
        // A destroyed response answers false and never drains: waiting would keep it forever.
        if (isConnectionGone(res, this.#socket)) {
          this.connectionClosed();
          return;
        }
        // Listened for only while needed: most connections never fill their socket.
        this.#flags |= AWAITING_DRAIN;
        res.on('drain', onResponseDrain);
        return;
      }
      wrote = true;
    }
    if (wrote) this.#source.drained();
    if ((this.#flags & ENDING) !== 0) this.#finish();
  }

  drained(): void {
    this.#flags &= ~AWAITING_DRAIN;
    this.#res.off('drain', onResponseDrain);
    this.#source.drained();
    this.write();
  }

  /**
   * The response or its connection closed, or was found dead. The sink lets go of the response
   * before ending it, so this is never the echo of its own end: the client is gone.
   */
  connectionClosed(): void {
    this.#source.disconnected();
    this.#release();
  }

  failed(error: Error): void {
    this.#source.disconnected(error);
  }

  #release(): void {
    if ((this.#flags & RELEASED) !== 0) return;
    this.#flags |= RELEASED;
    const res = this.#res;
    res.off('drain', onResponseDrain);
    res.off('close', onResponseClose);
    res.off('error', onResponseError);
    res[SINK] = undefined;
    if (this.#socket !== undefined) letGo(this.#socket, this);
  }

  #finish(): void {
    this.#release();
    const res = this.#res;
    if (res.writableEnded) return;
    closeAfterShutdown(res, this.#socket);
    res.end();
  }
}

function onResponseDrain(this: SinkedResponse): void {
  this[SINK]?.drained();
}

function onResponseClose(this: SinkedResponse): void {
  this[SINK]?.connectionClosed();
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

/**
 * How long a client may take nothing after `close()` before its socket is cut off: one heartbeat
 * interval. While a stream is open, a client that reads takes something at least that often (a
 * heartbeat when nothing else), so one that takes nothing for as long has stopped reading. With
 * heartbeats off, the default interval.
 */
export function closeGraceMs(heartbeat: number | false | undefined): number {
  return typeof heartbeat === 'number' ? heartbeat : DEFAULT_HEARTBEAT_MS;
}
