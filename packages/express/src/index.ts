/**
 * `@ssekit/express`: Server-Sent Events for Express 4 and 5. The adapter only translates: the
 * stream, its heartbeat, buffering and `Last-Event-ID` all come from `@ssekit/core/adapter`.
 */

import { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { SseStream as CoreSseStream, EventMap, SseStreamOptions } from '@ssekit/core';
import {
  exposeAsSse,
  isPromiseLike,
  LazySseStream,
  optionalFunction,
  requiredFunction,
  resolveStreamOptions,
} from '@ssekit/core/adapter';
import type { NextFunction, Request, Response } from 'express';
import { noteAnswerUnderway } from './answer-underway.js';

export { acceptsEventStream, type EventMap, type SseStreamOptions } from '@ssekit/core';

/**
 * The stream type of `@ssekit/core`. A type alias, not a re-export: the class itself comes from
 * `@ssekit/core` only (a re-exported class would be declared here but missing at runtime).
 */
export type SseStream<Events extends EventMap = EventMap> = CoreSseStream<Events>;

declare global {
  namespace Express {
    interface Response {
      /**
       * The request's event stream, on routes behind `sse()` or `sseHandler` (elsewhere it is
       * `undefined`, whatever this type says). Reading it opens nothing: the stream opens
       * (status 200 and the headers go out) at the first `send`, `write`, `pipe`, `comment` or
       * `close`, at `hub.subscribe(res.sse, …)`, or with `res.sse.open()`, which returns the
       * `SseStream`. Until then the route may answer otherwise (401, 404). Opening answers a
       * HEAD request with the headers and a request whose `Accept` refuses `text/event-stream`
       * with 406, without a stream; to serve the latter something else, check
       * `acceptsEventStream(req.headers.accept)`.
       */
      readonly sse: LazySseStream;
    }
  }
}

/** Options of {@link sseHandler}: the stream's options plus error reporting. */
export interface SseOptions extends SseStreamOptions {
  /**
   * Receives what the handler threw or rejected with after its stream opened (the stream is
   * closed by then). Default `console.error`. Before the stream opened, errors go to
   * `next(error)`, Express's own error flow.
   */
  onError?: (error: unknown) => void;
}

/** A response whose `sse` is typed with the route's events. */
export type SseResponse<Events extends EventMap = EventMap> = Omit<Response, 'sse'> & {
  readonly sse: LazySseStream<Events>;
};

/** A route that streams events; may be async. */
export type SseRouteHandler<Events extends EventMap = EventMap> = (
  req: Request,
  res: SseResponse<Events>,
) => unknown;

/** A request listener for `http2.createServer()`. */
export type Http2Listener = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/** Express middleware (request, response, next). */
export type SseMiddleware = (req: Request, res: Response, next: NextFunction) => void;

/**
 * Middleware that gives every request a `res.sse` opened at first use. Nothing happens on a
 * route that does not use it, so `app.use(sse())` is safe to mount globally. A route's errors
 * follow Express's own flow (`next(error)`; Express 5 forwards rejected promises there itself):
 * middleware in front of a route never sees them, so `onError` is {@link sseHandler}'s.
 * @throws {TypeError} at once when an option is invalid.
 */
export function sse(options: SseStreamOptions = {}): SseMiddleware {
  if ((options as SseOptions).onError !== undefined) {
    throw Object.assign(
      new TypeError(
        "ssekit: sse() takes no onError: Express hands a route's errors to next(error), past the middleware in front of it. Wrap the route instead: app.get(path, sseHandler(handler, { onError })), or handle them in your error middleware.",
      ),
      { code: 'ERR_SSE_UNKNOWN_OPTION' },
    );
  }
  const streamOptions = resolveStreamOptions(options, 'sse');
  return (req, res, next) => {
    defineLazyStream(req, res, streamOptions);
    next();
  };
}

/**
 * Advanced: a route handler that owns its errors, for routes that can fail after their stream
 * opened. Express hands a route's errors to `next(error)`, whose final handler destroys a
 * started response; `sseHandler` calls the handler itself, so an error after the stream opened
 * closes the stream cleanly (the client gets a normal end and reconnects) and goes to
 * `onError`; before that it goes to `next(error)`, so Express answers it as usual. `res.sse`
 * behaves as with `sse()`.
 */
export function sseHandler<Events extends EventMap = EventMap>(
  handler: SseRouteHandler<Events>,
  options: SseOptions = {},
): SseMiddleware {
  requiredFunction('sseHandler', 'handler', handler, '(req, res) => void');
  const streamOptions = resolveStreamOptions(options, 'sseHandler', ['onError']);
  const onError =
    optionalFunction('sseHandler', 'onError', options.onError, '(error) => void') ?? console.error;
  return (req, res, next) => {
    const lazy = defineLazyStream(req, res, streamOptions);
    const fail = (error: unknown) => {
      const stream = lazy.opened;
      if (stream === undefined) return next(error);
      stream.close();
      onError(error);
    };
    try {
      const answered = noteAnswerUnderway(res);
      const result = handler(req, res as unknown as SseResponse<Events>);
      // An async route that read res.sse and resolved unanswered kept it to stream: open it now,
      // as Koa and Fastify do. A sync one may still answer from a callback, as Express allows.
      if (isPromiseLike(result)) {
        result.then(() => LazySseStream.openIfKept(lazy, answered()), fail);
      }
    } catch (error) {
      fail(error);
    }
  };
}

/**
 * Lets an Express app serve `node:http2` compatibility requests (`http2.createServer(app)`).
 * Express re-parents every request and response onto `http.IncomingMessage` and
 * `http.ServerResponse`, which breaks HTTP/2's objects; this re-parents the app's own request
 * and response onto their HTTP/2 counterparts instead. The app then serves HTTP/2 only:
 * give an HTTP/1.1 server a second app.
 */
export function enableHttp2(app: { request: object; response: object }): Http2Listener {
  reparent(app.request, Http2ServerRequest.prototype);
  reparent(app.response, Http2ServerResponse.prototype);
  // The app is a request listener; re-parented, it now takes HTTP/2's request and response.
  return app as unknown as Http2Listener;
}

function reparent(target: object, base: object): void {
  const expressMethods = Object.getPrototypeOf(target) as object;
  Object.setPrototypeOf(
    target,
    Object.create(base, Object.getOwnPropertyDescriptors(expressMethods)),
  );
}

/** Makes `res.sse` the request's handle; returns it. */
function defineLazyStream(req: Request, res: Response, options: SseStreamOptions): LazySseStream {
  const lazy = new LazySseStream(req, res, options, 'res.sse');
  exposeAsSse(res, lazy);
  return lazy;
}
