/**
 * One client connection: what it queues, when it can take more, and its one cleanup. The
 * message types, the options, the queue's accounting and `pipe` each have their own module.
 */

import { type ClosedListener, closedListener, whenClosed } from './closed-listener.js';
import { type EncodedEvent, encodeText, isEncodedEvent } from './encoded-event.js';
import { inputError } from './errors.js';
import { type EventMessage, formatComment, formatEvent, type Serializer } from './format.js';
import { sseHeaders } from './headers.js';
import { type HeartbeatMember, idleTicks, joinHeartbeat, leaveHeartbeat } from './heartbeat.js';
import { HeldBytes, heldForgotten, heldSent, holdBack } from './held-bytes.js';
import { deadlineOf, jitteredEnd, LifetimeTimer, rotationRetry } from './lifetime.js';
import type { EventMap, SseMessage } from './message.js';
import { openSource, type PipeSource, pipeInto } from './pipe.js';
import { createReadableSink } from './readable-sink.js';
import { cutOff, SendQueue } from './send-queue.js';
import { attachSink, type Sink, type SinkSource, type SinkTarget } from './sink.js';
import {
  checkStreamOptions,
  type OverflowPolicy,
  type SseStreamOptions,
} from './stream-options.js';
import { WaitingWriters, whenWritable } from './waiting-writers.js';

export type { EventMap, SseMessage } from './message.js';
export type { PipeSource } from './pipe.js';
export {
  type OverflowPolicy,
  SSE_STREAM_OPTION_KEYS,
  type SseStreamOptions,
} from './stream-options.js';

type State = 'open' | 'closing' | 'closed';

const CAN_TAKE_MORE = Promise.resolve(true);
const STREAM_CLOSED = Promise.resolve(false);

/**
 * One client connection. `await write(message)` where backpressure matters, `pipe(source)` for
 * an iterable, `send(message)` to fire and forget; the bytes leave through `readable` (or
 * `toResponse()`), or through `@ssekit/core/node` straight to a Node response. Closing, for
 * whatever cause, runs one cleanup: no timer, listener or buffer outlives it.
 */
export class SseStream<Events extends EventMap = EventMap> implements SinkTarget, HeartbeatMember {
  /** The id the client last saw (from `Last-Event-ID` or the `lastEventId` query parameter). */
  readonly lastEventId: string | undefined;

  #state: State = 'open';
  // Made at the first byte queued: a stream that never sent anything holds no queue.
  #queue: SendQueue | undefined;
  #sink: Sink | undefined;
  readonly #highWaterMark: number;
  readonly #maxBufferedBytes: number;
  readonly #onOverflow: OverflowPolicy;
  /**
   * What most streams never need (options beyond the limits, a waiting writer, a lifetime, a
   * `closed` promise, overflows): made at first use, so an idle connection holds no field of it.
   */
  #rare: RareFields | undefined;
  /** Told once the stream has closed, without a promise continuation per stream (the hub). */
  #hubListener: ClosedListener | undefined;
  /** The shared heartbeat's interval; `undefined`: no heartbeat. */
  readonly #heartbeatMs: number | undefined;
  /** @internal Heartbeat ticks since the stream last wrote (see `heartbeat.ts`). */
  [idleTicks] = 0;

  constructor(options: SseStreamOptions = {}) {
    const limits = checkStreamOptions(options);
    this.#maxBufferedBytes = limits.maxBufferedBytes;
    this.#highWaterMark = limits.highWaterMark;
    this.#onOverflow = limits.onOverflow;
    if (options.serializer !== undefined) this.#rareFields().serializer = options.serializer;
    // Extra headers are checked now; the defaults alone are built at first read, since a Node
    // response takes the shared default record and never needs a Headers.
    if (options.headers !== undefined) this.#rareFields().headers = sseHeaders(options.headers);
    this.lastEventId = options.lastEventId;
    if (options.retry !== undefined) this.#rareFields().retry = options.retry;
    if (options.retry !== undefined)
      this.#enqueue(encodeText(formatEvent({ retry: options.retry })));
    if (limits.maxAge !== undefined) this.closeAt(Date.now() + limits.maxAge);
    if (limits.heartbeat !== false) {
      this.#heartbeatMs = limits.heartbeat;
      joinHeartbeat(this, limits.heartbeat);
    }
    const signal = options.signal;
    if (signal?.aborted) {
      this.#shutDown();
    } else if (signal !== undefined) {
      const rare = this.#rareFields();
      rare.signal = signal;
      rare.onAbort = () => this.#shutDown();
      signal.addEventListener('abort', rare.onAbort, { once: true });
    }
  }

  #rareFields(): RareFields {
    this.#rare ??= new RareFields();
    return this.#rare;
  }

  /** Resolves once the stream has closed, whatever the cause. Never rejects. */
  get closed(): Promise<void> {
    const rare = this.#rareFields();
    rare.closed ??=
      this.#state === 'open'
        ? new Promise((resolve) => {
            rare.resolveClosed = resolve;
          })
        : Promise.resolve();
    return rare.closed;
  }

  /**
   * @internal Tells `listener` once the stream has closed (at once if it has), in a microtask
   * that runs before the continuations of `closed`. One listener (one hub) per stream; the same
   * one again changes nothing.
   * @throws {TypeError} when another listener has the stream.
   */
  [whenClosed](listener: ClosedListener): void {
    if (this.#hubListener === listener) return;
    if (this.#hubListener !== undefined) {
      throw inputError(
        'ERR_SSE_INVALID_ARGUMENT',
        'ssekit: this stream is subscribed through another hub, and a stream is served by one hub; nothing was subscribed. Subscribe it to all its topics through one hub (a hub serves any number of topics), or open one stream per hub.',
      );
    }
    this.#hubListener = listener;
    if (this.#state !== 'open') queueMicrotask(() => listener.streamClosed(this));
  }

  /** @internal The listener {@link whenClosed} gave the stream, if any. */
  get [closedListener](): ClosedListener | undefined {
    return this.#hubListener;
  }

  /** The response headers: the event-stream defaults plus `options.headers`. */
  get headers(): Headers {
    const rare = this.#rareFields();
    rare.headers ??= sseHeaders();
    return rare.headers;
  }

  /** `true` once the stream is closing or closed; `send` then returns `false`. */
  get isClosed(): boolean {
    return this.#state !== 'open';
  }

  /** Bytes queued or handed to the connection but not yet taken by the client. */
  get bufferedBytes(): number {
    return (this.#queue?.bytes ?? 0) + (this.#sink?.bufferedBytes ?? 0);
  }

  /** How many times the buffer reached `maxBufferedBytes` (events dropped, or the close). */
  get overflows(): number {
    return this.#rare?.overflows ?? 0;
  }

  /** The bytes of the stream, for a `Response` body. A stream has one reader. */
  get readable(): ReadableStream<Uint8Array> {
    return this.#attachReadable(false);
  }

  #attachReadable(primeHeaders: boolean): ReadableStream<Uint8Array> {
    let readable: ReadableStream<Uint8Array> | undefined;
    this[attachSink]((source) => {
      const created = createReadableSink(source, primeHeaders);
      readable = created.readable;
      return created.sink;
    });
    return readable as ReadableStream<Uint8Array>;
  }

  /**
   * Queues one event and does not wait: for fire-and-forget. Returns `false`, like
   * `Writable.write`, when the client's buffer is above `highWaterMark` or the stream is closed;
   * use {@link write} to wait for the client instead.
   * @throws {TypeError} when the message has an invalid field or data that cannot be serialized;
   * nothing is queued then and the stream stays usable.
   */
  send(message: SseMessage<Events> | EncodedEvent): boolean {
    if (this.#state !== 'open') return false;
    const bytes = isEncodedEvent(message)
      ? message.bytes
      : encodeText(formatEvent(message as EventMessage, { serializer: this.#rare?.serializer }));
    return this.#enqueue(bytes);
  }

  /**
   * Queues one event, then waits for the client if its buffer is above `highWaterMark`:
   * `await stream.write(message)` in a loop keeps memory bounded by a slow reader. Resolves
   * `true` when the stream can take more, `false` once it is closed (never rejects for that).
   * @throws {TypeError} synchronously, like {@link send}, when the message is invalid.
   */
  write(message: SseMessage<Events> | EncodedEvent): Promise<boolean> {
    if (this.#state !== 'open') return STREAM_CLOSED;
    if (this.send(message)) return CAN_TAKE_MORE;
    return this[whenWritable]().then(() => this.#state === 'open');
  }

  /**
   * Writes each item of `source` (an async iterable such as LLM tokens or a database cursor, or
   * an iterable) with backpressure, mapped by `toMessage` when given. Stops when the stream
   * closes and calls the source iterator's `return()`, so the source is released. Resolves
   * `true` when the source ended, `false` when the stream closed first. When the source throws,
   * the promise rejects with that error and the stream stays open for the caller to finish (in
   * a handler, rethrowing closes it and reports the error to `onError`).
   * @throws {TypeError} synchronously when `source` is not iterable or `toMessage` is not a
   * function; the promise rejects with a TypeError when an item is not a valid message (the
   * source is released first).
   */
  pipe(source: PipeSource<SseMessage<Events> | EncodedEvent>): Promise<boolean>;
  pipe<Item>(
    source: PipeSource<Item>,
    toMessage: (item: Item) => SseMessage<Events> | EncodedEvent,
  ): Promise<boolean>;
  pipe<Item>(
    source: PipeSource<Item>,
    toMessage?: (item: Item) => SseMessage<Events> | EncodedEvent,
  ): Promise<boolean> {
    return pipeInto(this, openSource(source, toMessage), toMessage);
  }

  /** Queues a comment line, which clients ignore. Returns like {@link send}. */
  comment(text?: string): boolean {
    if (this.#state !== 'open') return false;
    return this.#enqueue(encodeText(formatComment(text)));
  }

  /**
   * Bounds the stream's life: it ends by `time` (a `Date` or epoch milliseconds, such as the
   * expiry of the token that opened it), at a random point of the last tenth of its life (at most
   * a minute early), with a reconnection delay of 0.5x to 1.5x `retry` (default 1 s): the client
   * reconnects with fresh credentials and resumes from its last id, and streams opened together
   * do not all reconnect at once. A later call can only bring the end closer.
   * @throws {TypeError} (`ERR_SSE_INVALID_ARGUMENT`) unless `time` is a valid Date or number.
   */
  closeAt(time: Date | number): void {
    const now = Date.now();
    const end = jitteredEnd(deadlineOf(time), now, Math.random);
    if (this.#state !== 'open') return;
    const rare = this.#rareFields();
    if (rare.lifetime === undefined) {
      rare.lifetime = new LifetimeTimer(end, () => this.#endOfLife());
    } else {
      rare.lifetime.shorten(end);
    }
  }

  /** Ends the stream after what is queued has been written. Idempotent. */
  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#release();
    this.#sink?.end();
  }

  /** A `Response` with this stream as its body: status 200 and the event-stream headers. */
  toResponse(init: ResponseInit = {}): Response {
    const headers = new Headers(this.headers);
    for (const [name, value] of new Headers(init.headers)) headers.set(name, value);
    return new Response(this.#attachReadable(true), { status: 200, ...init, headers });
  }

  /** @internal Resolves when the buffer is below `highWaterMark` again, or the stream closes. */
  [whenWritable](): Promise<void> {
    if (this.#state !== 'open' || this.bufferedBytes < this.#highWaterMark) {
      return Promise.resolve();
    }
    const rare = this.#rareFields();
    rare.writers ??= new WaitingWriters();
    return rare.writers.wait();
  }

  /** @internal Connects the stream to where its bytes go. */
  [attachSink](createSink: (source: SinkSource) => Sink): void {
    if (this.#sink !== undefined) {
      throw inputError(
        'ERR_SSE_READER_ATTACHED',
        'ssekit: this stream already has a reader; a stream has exactly one.',
      );
    }
    this.#sink = createSink(new SseStream.#Source(this));
    if ((this.#queue?.bytes ?? 0) > 0) this.#sink.wake();
    if (this.#state === 'closing') this.#sink.end();
    else if (this.#state === 'closed') this.#sink.destroy();
  }

  /**
   * @internal The hub holds `bytes` more back for this client, behind a replay or not (see
   * `held-bytes.ts`): whether it is still within `maxBufferedBytes`, what it owes of the held
   * bytes included; when it is not, the overflow is counted and `onOverflow` applies.
   */
  [holdBack](bytes: number, behindReplay: boolean): boolean {
    if (this.#state !== 'open') return false;
    const rare = this.#rareFields();
    const buffered = this.bufferedBytes;
    const read = (this.#queue?.total ?? 0) - buffered;
    rare.held ??= new HeldBytes(this.#maxBufferedBytes, read);
    const owed = rare.held.owed(read, buffered, this.#highWaterMark, behindReplay);
    if (!this.#admits(buffered, owed)) return false;
    rare.held.count(bytes);
    return true;
  }

  /** @internal What the hub held back went out: nothing is held for the client now. */
  [heldSent](): void {
    if (this.#rare !== undefined) this.#rare.held = undefined;
  }

  /** @internal `bytes` the hub held back for this client went out, or were dropped. */
  [heldForgotten](bytes: number): void {
    this.#rare?.held?.forget(bytes);
  }

  #admits(buffered: number, held: number): boolean {
    // Without a queue nothing was ever queued, so nothing is owed.
    const debt = this.#queue?.unreadDebt(buffered) ?? 0;
    if (debt + held <= this.#maxBufferedBytes) return true;
    this.#rareFields().overflows += 1;
    if (this.#onOverflow === 'close') this.#shutDown(cutOff());
    return false;
  }

  #enqueue(bytes: Uint8Array): boolean {
    const buffered = this.bufferedBytes;
    if (!this.#admits(buffered, 0)) return false;
    this.#queue ??= new SendQueue(this.#maxBufferedBytes);
    const wasEmpty = this.#queue.push(bytes);
    this[idleTicks] = 0;
    if (wasEmpty) this.#sink?.wake();
    return buffered + bytes.byteLength < this.#highWaterMark;
  }

  /**
   * The lifetime is over: a reconnection delay, then the ordinary close. The hint goes past
   * `maxBufferedBytes` (a few bytes, then nothing more): a slow client is not cut off for it.
   */
  #endOfLife(): void {
    if (this.#state !== 'open') return;
    const hint = encodeText(formatEvent({ retry: rotationRetry(this.#rare?.retry, Math.random) }));
    this.#queue ??= new SendQueue(this.#maxBufferedBytes);
    if (this.#queue.push(hint)) this.#sink?.wake();
    this.close();
  }

  /** The sink's view of a stream: one small object per connection, no closures. */
  static readonly #Source = class Source<Events extends EventMap> implements SinkSource {
    readonly #stream: SseStream<Events>;

    constructor(stream: SseStream<Events>) {
      this.#stream = stream;
    }

    take(): Uint8Array[] | undefined {
      const stream = this.#stream;
      return stream.#queue?.take(stream.#highWaterMark);
    }

    drained(): void {
      const stream = this.#stream;
      const writers = stream.#rare?.writers;
      if (writers?.any && stream.bufferedBytes < stream.#highWaterMark) writers.wakeAll();
    }

    disconnected(): void {
      this.#stream.#shutDown();
    }
  };

  /** Immediate close: the client is gone, cut off (`reason` says why), or the signal aborted. */
  #shutDown(reason?: Error): void {
    if (this.#state === 'closed') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    this.#queue?.clear();
    if (wasOpen) this.#release();
    this.#sink?.destroy(reason);
  }

  /** The single cleanup: runs once, on the first of close, abort, cancel, overflow or error. */
  #release(): void {
    if (this.#heartbeatMs !== undefined) leaveHeartbeat(this, this.#heartbeatMs);
    const rare = this.#rare;
    if (rare !== undefined) {
      rare.lifetime?.cancel();
      if (rare.onAbort !== undefined) rare.signal?.removeEventListener('abort', rare.onAbort);
      rare.writers?.wakeAll();
    }
    const listener = this.#hubListener;
    if (listener !== undefined) queueMicrotask(() => listener.streamClosed(this));
    rare?.resolveClosed?.();
  }
}

/** The fields of an {@link SseStream} that most streams never need. */
class RareFields {
  headers: Headers | undefined = undefined;
  overflows = 0;
  // Made at the first event a hub holds back for the client.
  held: HeldBytes | undefined = undefined;
  // Made by the first writer that has to wait.
  writers: WaitingWriters | undefined = undefined;
  serializer: Serializer | undefined = undefined;
  retry: number | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  lifetime: LifetimeTimer | undefined = undefined;
  // Made at first read: a stream nobody awaits holds no promise and no resolver.
  closed: Promise<void> | undefined = undefined;
  resolveClosed: (() => void) | undefined = undefined;
}

/**
 * Creates the stream of one client connection.
 * @throws {TypeError} when an option is out of range (the message names it and the fix).
 */
export function createSseStream<Events extends EventMap = EventMap>(
  options?: SseStreamOptions,
): SseStream<Events> {
  return new SseStream<Events>(options);
}
