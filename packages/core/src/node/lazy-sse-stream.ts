/** The stream a framework adapter exposes as a property (`res.sse`, `ctx.sse`), opened at first use. */
import { inputError } from '../errors.js';
import type { EventMap, SseStream, SseStreamOptions } from '../sse-stream.js';
import { openSseStream } from './open-sse-stream.js';
import type { NodeRequestLike, NodeResponseLike } from './types.js';

/**
 * An event stream that opens at first use, so a route can still answer 401 or 404 before it.
 * `name` is how the adapter exposes it, named in the error when it is opened after the response
 * was sent. A class rather than closures: every request that may stream holds one, and
 * thousands stay open. An adapter that must do more when the stream opens overrides `opening`.
 */
export class LazySseStream<Events extends EventMap = EventMap> {
  #stream: SseStream<Events> | undefined;
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

  /** The stream if it was opened, else `undefined`. */
  get opened(): SseStream<Events> | undefined {
    return this.#stream;
  }

  /**
   * Opens the stream on first call (status 200 and headers go out at once) and returns it.
   * @throws {TypeError} when the response was already sent.
   */
  open(): SseStream<Events> {
    if (this.#stream !== undefined) return this.#stream;
    if (this.#res.headersSent) {
      throw inputError(
        'ERR_SSE_HEADERS_SENT',
        `ssekit: ${this.#name} was read after the response was sent; answer errors (401, 404) without touching ${this.#name}, and read it only to stream.`,
      );
    }
    this.#stream = openSseStream<Events>(this.#req, this.#res, this.#options);
    this.opening();
    return this.#stream;
  }

  /** Runs once, right after `open()` opened the stream (status and headers are out). */
  protected opening(): void {}
}

/**
 * Where the object that exposes a stream as `sse` keeps it. Registered, so that two copies of
 * this module (two installs of @ssekit/core) defining the getter on one prototype read one key.
 */
const LAZY_STREAM = Symbol.for('ssekit.lazyStream');

interface ExposesLazyStream {
  [LAZY_STREAM]?: LazySseStream;
}

/** The prototypes that already have the `sse` getter. */
const prototypesWithGetter = new WeakSet<object>();

/**
 * Makes `owner.sse` (Express's `res`, Koa's `ctx`) the stream of `lazy`, opened at first read;
 * on other objects of the same prototype, `sse` is `undefined`. The getter is defined once, on
 * the owner's prototype (`app.response`, `app.context`: where each framework lets apps add
 * members): a getter of its own on each owner would turn every open connection's object into a
 * dictionary of properties (bench/README.md, "Memory per idle connection", has the figure).
 */
export function exposeAsSse(owner: object, lazy: LazySseStream): void {
  const prototype = (Object.getPrototypeOf(owner) as object | null) ?? owner;
  if (!prototypesWithGetter.has(prototype)) {
    Object.defineProperty(prototype, 'sse', {
      configurable: true,
      enumerable: false,
      get: openExposedStream,
    });
    prototypesWithGetter.add(prototype);
  }
  (owner as ExposesLazyStream)[LAZY_STREAM] = lazy;
}

function openExposedStream(this: ExposesLazyStream): SseStream | undefined {
  return this[LAZY_STREAM]?.open();
}
