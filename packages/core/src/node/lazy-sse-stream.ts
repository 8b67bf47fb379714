/**
 * The handle a framework adapter exposes as a property (`res.sse`, `ctx.sse`, `reply.sse`):
 * reading it opens nothing, so a route can still answer 401 or 404 after reading it.
 */
import { type EncodedEvent, encodeEvent, isEncodedEvent } from '../encoded-event.js';
import { inputError } from '../errors.js';
import type { EventMessage } from '../format.js';
import { sseHeaders } from '../headers.js';
import { deadlineOf } from '../lifetime.js';
import type { EventMap, SseMessage } from '../message.js';
import { checkPipeArguments, type PipeSource } from '../pipe.js';
import type { SseStream } from '../sse-stream.js';
import type { SseStreamHandle } from '../sse-stream-handle.js';
import type { SseStreamOptions } from '../stream-options.js';
import { openSseStream } from './open-sse-stream.js';
import { requestLastEventId } from './request-last-event-id.js';
import type { NodeRequestLike, NodeResponseLike } from './types.js';

/**
 * One request's event stream, opened at first use: the first `send`, `write`, `pipe`,
 * `comment`, `closeAt` or `close`, `hub.subscribe(handle, …)`, or `open()`. Opening writes
 * status 200 and the headers, or answers HEAD and a refusing `Accept` (406) without a stream, as
 * `openSseStream` does. Until then the response is the route's to answer otherwise; the handle
 * reads the request (`lastEventId`) without opening anything.
 *
 * `name` is how the adapter exposes it, named in the error when it is opened after the response
 * was sent. A class rather than closures: every request that may stream holds one, and
 * thousands stay open. An adapter that must do more when the stream opens overrides `opening`.
 */
/**
 * What a handle offers of its stream: every public member but the body (`readable`,
 * `toResponse`), which a Node response does not need. Implementing it makes a member added to
 * `SseStream` a type error here until the handle has it too.
 */
type StreamMembers<Events extends EventMap> = Pick<
  SseStream<Events>,
  Exclude<keyof SseStream<Events> & string, 'readable' | 'toResponse'>
>;

export class LazySseStream<Events extends EventMap = EventMap>
  implements SseStreamHandle<Events>, StreamMembers<Events>
{
  #stream: SseStream<Events> | undefined;
  /** What `closed` returned before the stream opened, settled by the stream's own. */
  #closed: Promise<void> | undefined;
  #settleClosed: (() => void) | undefined;
  #read = false;
  readonly #req: NodeRequestLike;
  readonly #res: NodeResponseLike;
  readonly #options: SseStreamOptions;
  readonly #name: string;

  constructor(
    req: NodeRequestLike,
    res: NodeResponseLike,
    options: SseStreamOptions,
    name: string,
  ) {
    this.#req = req;
    this.#res = res;
    this.#options = options;
    this.#name = name;
  }

  /**
   * Opens the stream of a route that read `handle` through the property exposing it, then
   * returned without opening it or answering otherwise (`answered`): it kept the stream to use
   * later (a timer, a subscription after an await), and its framework would now answer the
   * request itself (Koa's 404, Fastify's empty reply). Adapters call it when the route returns.
   */
  static openIfKept(handle: LazySseStream, answered: boolean): void {
    if (handle.#stream === undefined && handle.#read && !answered && !handle.#res.headersSent) {
      handle.open();
    }
  }

  /** Marks `handle` as read by a route: what the exposing property calls. */
  static markRead(handle: LazySseStream): void {
    handle.#read = true;
  }

  /** The stream if it was opened, else `undefined`. */
  get opened(): SseStream<Events> | undefined {
    return this.#stream;
  }

  /**
   * Opens the stream on first call (status 200 and headers go out at once, so the browser's
   * `onopen` fires) and returns it; later calls return the same stream.
   * @throws {TypeError} when the route already answered the request otherwise.
   */
  open(): SseStream<Events> {
    if (this.#stream !== undefined) return this.#stream;
    if (this.#res.headersSent) {
      throw inputError(
        'ERR_SSE_HEADERS_SENT',
        `ssekit: ${this.#name} was used after the response was sent; a route that answers otherwise (401, 404) must not send to ${this.#name}, subscribe it or open it.`,
      );
    }
    const stream = openSseStream<Events>(this.#req, this.#res, this.#options);
    this.#stream = stream;
    if (this.#settleClosed !== undefined) {
      this.#res.off('close', this.#settleClosed);
      stream.closed.then(this.#settleClosed);
    }
    this.opening();
    return stream;
  }

  /** Runs once, right after `open()` opened the stream (status and headers are out). */
  protected opening(): void {}

  /**
   * Opens the stream and queues one event; see `SseStream.send`. An invalid message throws
   * before opening, so the route's error handling can still answer the request.
   */
  send(message: SseMessage<Events> | EncodedEvent): boolean {
    const checked = this.#encodedIfUnopened(message);
    return this.open().send(checked);
  }

  /** Opens the stream and writes one event, waiting for a slow client; see `SseStream.write`. */
  write(message: SseMessage<Events> | EncodedEvent): Promise<boolean> {
    const checked = this.#encodedIfUnopened(message);
    return this.open().write(checked);
  }

  /** The first message is encoded (and so checked) before the stream opens; later ones as is. */
  #encodedIfUnopened(
    message: SseMessage<Events> | EncodedEvent,
  ): SseMessage<Events> | EncodedEvent {
    if (this.#stream !== undefined || isEncodedEvent(message)) return message;
    return encodeEvent(message as EventMessage, { serializer: this.#options.serializer });
  }

  /** Opens the stream and writes each item of `source`; see `SseStream.pipe`. */
  pipe(source: PipeSource<SseMessage<Events> | EncodedEvent>): Promise<boolean>;
  pipe<Item>(
    source: PipeSource<Item>,
    toMessage: (item: Item) => SseMessage<Events> | EncodedEvent,
  ): Promise<boolean>;
  pipe<Item>(
    source: PipeSource<Item>,
    toMessage?: (item: Item) => SseMessage<Events> | EncodedEvent,
  ): Promise<boolean> {
    // Bad arguments throw before opening, so the route's error handling can still answer.
    checkPipeArguments(source, toMessage);
    const stream = this.open();
    return toMessage === undefined
      ? stream.pipe(source as PipeSource<SseMessage<Events> | EncodedEvent>)
      : stream.pipe(source, toMessage);
  }

  /**
   * Opens the stream and bounds its life, ending it by `time`; see `SseStream.closeAt`. A bad
   * `time` throws before opening, so the route's error handling can still answer the request.
   */
  closeAt(time: Date | number): void {
    deadlineOf(time);
    this.open().closeAt(time);
  }

  /** Opens the stream and queues a comment line; see `SseStream.comment`. */
  comment(text?: string): boolean {
    return this.open().comment(text);
  }

  /**
   * Ends the stream after what is queued has been written. Unopened, it opens it first (the
   * client gets an empty stream and reconnects), unless the route answered otherwise or the
   * client left: then there is nothing to close.
   */
  close(): void {
    if (this.#stream === undefined && (this.#res.headersSent || this.#responseGone())) return;
    this.open().close();
  }

  /** The id the client last saw (`Last-Event-ID` or `?lastEventId=`); reading it opens nothing. */
  get lastEventId(): string | undefined {
    return this.#stream?.lastEventId ?? requestLastEventId(this.#req, this.#options.lastEventId);
  }

  /** `true` once the stream is closing or closed, or, unopened, once the response is over. */
  get isClosed(): boolean {
    if (this.#stream !== undefined) return this.#stream.isClosed;
    return this.#res.writableEnded || this.#responseGone();
  }

  /**
   * Resolves once the stream has closed, or, if it never opens, once the response is over
   * (answered otherwise, or the client left). Never rejects; reading it opens nothing.
   */
  get closed(): Promise<void> {
    if (this.#stream !== undefined) return this.#stream.closed;
    this.#closed ??= new Promise((resolve) => {
      this.#settleClosed = resolve;
      // A response already over has emitted its 'close': none comes again.
      if (this.#responseGone()) resolve();
      else this.#res.on('close', resolve);
    });
    return this.#closed;
  }

  /** The response or its connection is gone (node:http2's compatibility response has only its stream's state). */
  #responseGone(): boolean {
    const res = this.#res;
    return res.closed === true || res.destroyed === true || res.stream?.destroyed === true;
  }

  /** The response headers the stream sends (or sent). */
  get headers(): Headers {
    return this.#stream?.headers ?? sseHeaders(this.#options.headers);
  }

  /** Bytes queued but not yet taken by the client; 0 before the stream opens. */
  get bufferedBytes(): number {
    return this.#stream?.bufferedBytes ?? 0;
  }

  /** How many times the buffer reached `maxBufferedBytes`; 0 before the stream opens. */
  get overflows(): number {
    return this.#stream?.overflows ?? 0;
  }
}
