import { checkKnownKeys, positiveInteger } from './checks.js';
import { type EncodedEvent, encodeText, isEncodedEvent } from './encoded-event.js';
import { type EventMessage, formatComment, formatEvent, type Serializer } from './format.js';
import { sseHeaders } from './headers.js';
import { type Beating, joinHeartbeat } from './heartbeat.js';
import { createReadableSink } from './readable-sink.js';
import { attachSink, type Sink, type SinkSource, type SinkTarget } from './sink.js';
import { currentTurn } from './turn.js';

/** Event names mapped to their payload types, e.g. `{ tick: { t: number }; alert: Alert }`. */
export type EventMap = Record<string, unknown>;

interface MessageExtras {
  id?: string;
  retry?: number;
  comment?: string;
}

type TypedMessage<Events extends EventMap> = {
  [Name in keyof Events & string]: Name extends 'message'
    ? MessageExtras & { event?: Name; data: Events[Name] }
    : MessageExtras & { event: Name; data: Events[Name] };
}[keyof Events & string];

/**
 * The messages a stream typed with `Events` accepts: for a typed map, `event` must be one of its
 * names and `data` that event's payload; for the default map, any {@link EventMessage}.
 */
export type MessageOf<Events extends EventMap> = string extends keyof Events
  ? EventMessage
  : TypedMessage<Events>;

/** What happens when a client does not read and its buffer reaches `maxBufferedBytes`. */
export type OverflowPolicy = 'close' | 'drop';

/** Options of {@link createSseStream}. Every field is optional. */
export interface SseStreamOptions {
  /** Aborting it closes the stream and cleans up (wire the request's signal here). */
  signal?: AbortSignal;
  /** The client's `Last-Event-ID`, exposed as `stream.lastEventId`. */
  lastEventId?: string;
  /**
   * The longest a connection stays silent: after this many ms without a write, a keep-alive
   * comment is written. `false` disables. Default 5000, under the shortest idle timeout a
   * server or proxy has by default (Bun's 10 s; the core README lists them).
   */
  heartbeat?: number | false;
  /** Reconnection delay (ms) sent to the client once, when the stream opens. Default: none. */
  retry?: number;
  /** Serializer for non-string `data`. Default: `JSON.stringify`. */
  serializer?: Serializer;
  /** Extra response headers (CORS, for example). `Connection` and `Transfer-Encoding` are refused. */
  headers?: HeadersInit;
  /** Above this many buffered bytes, `send()` returns `false`. Default 65536 (64 KiB), at most `maxBufferedBytes`. */
  highWaterMark?: number;
  /**
   * The most bytes a client may owe: bytes queued in an earlier turn of the event loop that it
   * left unread, less its credit for bursts. A turn's bytes are a burst when they are more than
   * the credit left; the burst is added to the credit (the client reaches it only by reading what
   * is before it), and the credit shrinks to what the client has left unread as it reads, so a
   * client that reads faster than events arrive owes nothing, and one that stops owes everything
   * sent after. Bytes queued in the current turn never count. Memory held for a client is at most
   * this, plus the bytes queued in one turn, plus a credit under twice the most bytes sent to it
   * in one turn. Default 1048576 (1 MiB).
   */
  maxBufferedBytes?: number;
  /** Once a client leaves more than `maxBufferedBytes` unread: `'close'` the connection (the client reconnects and can replay) or `'drop'` each event sent until it catches up. Default `'close'`. */
  onOverflow?: OverflowPolicy;
}

/**
 * Every key of {@link SseStreamOptions}: any other is a misspelling and throws. A layer that
 * takes these options plus its own checks the union once, with {@link checkKnownKeys}.
 */
export const SSE_STREAM_OPTION_KEYS: readonly (keyof SseStreamOptions)[] = [
  'signal',
  'lastEventId',
  'heartbeat',
  'retry',
  'serializer',
  'headers',
  'highWaterMark',
  'maxBufferedBytes',
  'onOverflow',
];

/** @internal Also the Node bridge's grace for a client that stops reading after `close()`. */
export const DEFAULT_HEARTBEAT_MS = 5000;
const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

type State = 'open' | 'closing' | 'closed';

/**
 * One client connection. Queue events with `send`; the bytes leave through `readable`
 * (or `toResponse()`), or through `@ssekit/core/node` straight to a Node response.
 * Closing, for whatever cause, runs one cleanup: no timer, listener or buffer outlives it.
 */
export class SseStream<Events extends EventMap = EventMap> implements SinkTarget {
  /** The id the client last saw (from `Last-Event-ID` or the `lastEventId` query parameter). */
  readonly lastEventId: string | undefined;
  /** Resolves once the stream has closed, whatever the cause. Never rejects. */
  readonly closed: Promise<void>;

  #headers: Headers | undefined;
  #state: State = 'open';
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** Every byte ever queued: positions in this count place the turn in the queue. */
  #queuedTotal = 0;
  /** The turn of the last enqueue, and where its bytes start. */
  #turn = -1;
  #turnStart = 0;
  /** Unread bytes of bursts the client is not judged on: never more than it has left unread. */
  #credit = 0;
  #sink: Sink | undefined;
  #overflows = 0;
  /** Resolvers of `ready()` calls; created by the first call that has to wait. */
  #waiting: Array<() => void> | undefined;
  readonly #highWaterMark: number;
  readonly #maxBufferedBytes: number;
  readonly #onOverflow: OverflowPolicy;
  readonly #serializer: Serializer | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #resolveClosed: () => void;
  readonly #leaveHeartbeat: () => void;
  // Created only when needed: every closure here is paid once per idle connection.
  readonly #onAbort: (() => void) | undefined;
  readonly #beat: Beating | undefined;

  constructor(options: SseStreamOptions = {}) {
    checkKnownKeys('createSseStream', options, SSE_STREAM_OPTION_KEYS);
    const heartbeat = checkHeartbeat(options.heartbeat);
    this.#maxBufferedBytes = positiveInteger('maxBufferedBytes', options.maxBufferedBytes, {
      fallback: DEFAULT_MAX_BUFFERED_BYTES,
    });
    // A high-water mark above the cap would let writers run into the overflow policy unwarned.
    this.#highWaterMark = Math.min(
      this.#maxBufferedBytes,
      positiveInteger('highWaterMark', options.highWaterMark, {
        fallback: DEFAULT_HIGH_WATER_MARK,
      }),
    );
    this.#onOverflow = checkPolicy(options.onOverflow);
    this.#serializer = options.serializer;
    // Extra headers are checked now; the defaults alone are built at first read, since a Node
    // response takes the shared default record and never needs a Headers.
    if (options.headers !== undefined) this.#headers = sseHeaders(options.headers);
    this.lastEventId = options.lastEventId;
    let resolveClosed!: () => void;
    this.closed = new Promise((resolve) => {
      resolveClosed = resolve;
    });
    this.#resolveClosed = resolveClosed;
    if (options.retry !== undefined)
      this.#enqueue(encodeText(formatEvent({ retry: options.retry })));
    if (heartbeat === false) {
      this.#leaveHeartbeat = noop;
    } else {
      this.#beat = { idleTicks: 0, beat: () => this.comment() };
      this.#leaveHeartbeat = joinHeartbeat(heartbeat, this.#beat);
    }
    this.#signal = options.signal;
    if (this.#signal?.aborted) {
      this.#shutDown();
    } else if (this.#signal !== undefined) {
      this.#onAbort = () => this.#shutDown();
      this.#signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** The response headers: the event-stream defaults plus `options.headers`. */
  get headers(): Headers {
    this.#headers ??= sseHeaders();
    return this.#headers;
  }

  /** `true` once the stream is closing or closed; `send` then returns `false`. */
  get isClosed(): boolean {
    return this.#state !== 'open';
  }

  /** Bytes queued or handed to the connection but not yet taken by the client. */
  get bufferedBytes(): number {
    return this.#queuedBytes + (this.#sink?.bufferedBytes ?? 0);
  }

  /** How many times the buffer reached `maxBufferedBytes` (events dropped, or the close). */
  get overflows(): number {
    return this.#overflows;
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
   * Queues one event. Returns `false`, like `Writable.write`, when the client's buffer is above
   * `highWaterMark` (await `ready()` before sending more) or when the stream is closed.
   * @throws {TypeError} when the message has an invalid field or data that cannot be serialized;
   * nothing is queued then and the stream stays usable.
   */
  send(message: MessageOf<Events> | EncodedEvent): boolean {
    if (this.#state !== 'open') return false;
    const bytes = isEncodedEvent(message)
      ? message.bytes
      : encodeText(formatEvent(message as EventMessage, { serializer: this.#serializer }));
    return this.#enqueue(bytes);
  }

  /** Queues a comment line, which clients ignore. Returns like {@link send}. */
  comment(text?: string): boolean {
    if (this.#state !== 'open') return false;
    return this.#enqueue(encodeText(formatComment(text)));
  }

  /** Resolves when the buffer is below `highWaterMark` again, or when the stream closes. */
  ready(): Promise<void> {
    if (this.#state !== 'open' || this.bufferedBytes < this.#highWaterMark)
      return Promise.resolve();
    this.#waiting ??= [];
    const waiting = this.#waiting;
    return new Promise((resolve) => waiting.push(resolve));
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

  /** @internal Connects the stream to where its bytes go. */
  [attachSink](createSink: (source: SinkSource) => Sink): void {
    if (this.#sink !== undefined) {
      throw new TypeError('ssekit: this stream already has a reader; a stream has exactly one.');
    }
    this.#sink = createSink(this.#source());
    if (this.#queuedBytes > 0) this.#sink.wake();
    if (this.#state === 'closing') this.#sink.end();
    else if (this.#state === 'closed') this.#sink.destroy();
  }

  #enqueue(bytes: Uint8Array): boolean {
    const buffered = this.bufferedBytes;
    if (this.#unreadDebt(buffered) > this.#maxBufferedBytes) {
      this.#overflows += 1;
      if (this.#onOverflow === 'close') this.#shutDown(cutOff());
      return false;
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.byteLength;
    this.#queuedTotal += bytes.byteLength;
    if (this.#beat !== undefined) this.#beat.idleTicks = 0;
    if (this.#queue.length === 1) this.#sink?.wake();
    return buffered + bytes.byteLength < this.#highWaterMark;
  }

  /**
   * What the client owes: of the `buffered` bytes, those queued before this turn, less its
   * credit. The credit grows by each burst (a turn's bytes above what is left of it) and shrinks
   * to what the client left unread as it reads, so debt grows only while bytes arrive faster than
   * the client takes them: a publisher's burst (one loop, a catch-up, a replay page), or several
   * in a row, never counts against a client that reads.
   */
  #unreadDebt(buffered: number): number {
    if (buffered === 0) {
      this.#credit = 0;
      return 0;
    }
    // Bytes before `read` in the count of every byte queued have left for the client.
    const read = this.#queuedTotal - buffered;
    const turn = currentTurn();
    if (turn !== this.#turn) {
      const credit = Math.min(this.#credit, unreadOf(0, this.#turnStart, read));
      const lastTurn = unreadOf(this.#turnStart, this.#queuedTotal, read);
      // Queued behind the earlier bursts, a new one is read after them: it adds to the time the
      // client is given rather than taking the place of what it is still reading.
      this.#credit = lastTurn > credit ? credit + lastTurn : credit;
      this.#turn = turn;
      this.#turnStart = this.#queuedTotal;
    }
    const earlier = unreadOf(0, this.#turnStart, read);
    if (this.#credit > earlier) this.#credit = earlier;
    return earlier - this.#credit;
  }

  #source(): SinkSource {
    return new SseStream.#Source(this);
  }

  /** The sink's view of a stream: one small object per connection, no closures. */
  static readonly #Source = class Source<Events extends EventMap> implements SinkSource {
    readonly #stream: SseStream<Events>;

    constructor(stream: SseStream<Events>) {
      this.#stream = stream;
    }

    take(): Uint8Array[] | undefined {
      const stream = this.#stream;
      const queue = stream.#queue;
      if (queue.length === 0) return undefined;
      // A sink copies what it takes into one chunk per client: taking at most a high-water
      // mark's worth leaves a burst where it is, shared by every client the hub sent it to.
      if (stream.#queuedBytes <= stream.#highWaterMark) {
        stream.#queue = [];
        stream.#queuedBytes = 0;
        return queue;
      }
      let count = 0;
      let bytes = 0;
      while (bytes < stream.#highWaterMark) bytes += (queue[count++] as Uint8Array).byteLength;
      stream.#queuedBytes -= bytes;
      return queue.splice(0, count);
    }

    drained(): void {
      const stream = this.#stream;
      if (stream.#waiting !== undefined && stream.bufferedBytes < stream.#highWaterMark) {
        stream.#wakeWriters();
      }
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
    this.#queue = [];
    this.#queuedBytes = 0;
    if (wasOpen) this.#release();
    this.#sink?.destroy(reason);
  }

  /** The single cleanup: runs once, on the first of close, abort, cancel, overflow or error. */
  #release(): void {
    this.#leaveHeartbeat();
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#wakeWriters();
    this.#resolveClosed();
  }

  #wakeWriters(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.#waiting = undefined;
    for (const resolve of waiting) resolve();
  }
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

function checkHeartbeat(value: number | false | undefined): number | false {
  if (value === undefined) return DEFAULT_HEARTBEAT_MS;
  if (value === false) return false;
  return positiveInteger('heartbeat', value, { fallback: DEFAULT_HEARTBEAT_MS });
}

function checkPolicy(value: OverflowPolicy | undefined): OverflowPolicy {
  if (value === undefined) return 'close';
  if (value !== 'close' && value !== 'drop') {
    throw new TypeError(`ssekit: "onOverflow" must be 'close' or 'drop', got ${String(value)}.`);
  }
  return value;
}

/** How many bytes of the range [start, end) of the queued count are still unread at `read`. */
function unreadOf(start: number, end: number, read: number): number {
  return Math.max(0, end - Math.max(start, read));
}

/** Why a client is cut off by `onOverflow: 'close'`: what a fetch runtime aborts the response with. */
function cutOff(): Error {
  return new Error(
    "ssekit: cut off a client that left more than maxBufferedBytes unread (onOverflow: 'close'); its connection was aborted to free it. It reconnects and resumes with Last-Event-ID.",
  );
}

function noop(): void {}
