/**
 * `@ssekit/koa`: Server-Sent Events for Koa 2 and 3. The adapter only translates: the stream,
 * its heartbeat, buffering, disconnect detection and `Last-Event-ID` come from `@ssekit/core/adapter`.
 */
import type { SseStream as CoreSseStream, EventMap, SseStreamOptions } from '@ssekit/core';
import {
  exposeAsSse,
  LazySseStream,
  optionalFunction,
  resolveStreamOptions,
} from '@ssekit/core/adapter';
import type { Context, Next } from 'koa';

export { acceptsEventStream, type EventMap, type SseStreamOptions } from '@ssekit/core';

/**
 * The stream type of `@ssekit/core`. A type alias, not a re-export: the class itself comes from
 * `@ssekit/core` only (a re-exported class would be declared here but missing at runtime).
 */
export type SseStream<Events extends EventMap = EventMap> = CoreSseStream<Events>;

/** Options of {@link sse}: the stream's options plus error reporting. */
export interface SseOptions extends SseStreamOptions {
  /** Receives what downstream middleware threw after the stream opened (the stream is closed). Default `console.error`. */
  onError?: (error: unknown) => void;
}

/**
 * The context `sse()` gives downstream middleware, typed with the route's events; pass it as the
 * context type, e.g. `router.get<{}, SseContext<Events>>('/events', sse(), handler)`.
 */
export interface SseContext<Events extends EventMap = EventMap> {
  /**
   * The request's event stream. Reading it opens nothing: the stream opens (status 200 and the
   * headers go out, Koa stops responding for this request) at the first `send`, `write`,
   * `pipe`, `comment` or `close`, at `hub.subscribe(ctx.sse, …)`, or with `ctx.sse.open()`,
   * which returns the `SseStream`; a route that read it and returns without a body has it
   * opened then, since it kept the stream to use later. Until then the route may answer
   * otherwise (401, 404). Opening answers a HEAD request with the headers and a request whose
   * `Accept` refuses `text/event-stream` with 406, without a stream; to serve the latter
   * something else, check `acceptsEventStream(ctx.get('accept'))`.
   */
  readonly sse: LazySseStream<Events>;
}

/** Koa middleware (context, next). */
export type SseMiddleware = (ctx: Context, next: Next) => Promise<void>;

/**
 * Middleware that gives every request a `ctx.sse` opened at first use; nothing happens on a
 * route that does not use it, so `app.use(sse())` is safe to mount globally. What downstream
 * middleware throws after the stream opened closes the stream and goes to `onError`; before
 * that, Koa handles it as usual.
 * @throws {TypeError} at once when an option is invalid.
 */
export function sse(options: SseOptions = {}): SseMiddleware {
  // Fail at startup, not at the first client, on an invalid option.
  const streamOptions = resolveStreamOptions(options, 'sse', ['onError']);
  const onError =
    optionalFunction('sse', 'onError', options.onError, '(error) => void') ?? console.error;
  return async (ctx, next) => {
    const lazy = defineLazyStream(ctx, streamOptions);
    try {
      await next();
      // Koa answers 404 for a route that sets no body; one that read ctx.sse streams instead,
      // unless it set that 404 itself (Koa marks a status set by the app as explicit).
      LazySseStream.openIfKept(
        lazy,
        ctx.body != null ||
          ctx.status !== 404 ||
          (ctx.response as { _explicitStatus?: boolean })._explicitStatus === true ||
          ctx.respond === false,
      );
    } catch (error) {
      const stream = lazy.opened;
      if (stream === undefined) throw error;
      stream.close();
      onError(error);
    }
  };
}

/** The error reporter a context had before its stream opened. */
const REPORT_ERROR = Symbol('ssekit.reportError');

interface ContextReportingErrors {
  [REPORT_ERROR]?: Context['onerror'];
}

/** Makes `ctx.sse` the request's handle; returns it. */
function defineLazyStream(ctx: Context, options: SseStreamOptions): LazySseStream {
  const lazy = new KoaLazyStream(ctx, options);
  exposeAsSse(ctx, lazy);
  return lazy;
}

class KoaLazyStream extends LazySseStream {
  readonly #ctx: Context & ContextReportingErrors;

  constructor(ctx: Context, options: SseStreamOptions) {
    super(ctx.req, ctx.res, options, 'ctx.sse');
    this.#ctx = ctx;
  }

  // Koa must not answer this request itself: no body handling, no compression of a web stream,
  // no premature-close error on a normal disconnect. Bytes go straight to ctx.res.
  protected override opening(): void {
    const ctx = this.#ctx;
    ctx.respond = false;
    ctx[REPORT_ERROR] = ctx.onerror;
    ctx.onerror = reportUnlessClientLeft;
  }
}

const CLIENT_LEFT = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

function reportUnlessClientLeft(this: Context & ContextReportingErrors, error: Error): void {
  if (CLIENT_LEFT.has((error as NodeJS.ErrnoException | null)?.code ?? '')) return;
  this[REPORT_ERROR]?.call(this, error);
}
