/**
 * `@ssekit/express`: Server-Sent Events for Express 4 and 5. The adapter only translates: the
 * stream, its heartbeat, buffering and `Last-Event-ID` all come from `@ssekit/core/node`.
 */

import { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import {
  type EventMap,
  isPromiseLike,
  optionalFunction,
  resolveStreamOptions,
  type SseStream,
  type SseStreamOptions,
} from '@ssekit/core';
import { exposeAsSse, LazySseStream } from '@ssekit/core/node';
import type { NextFunction, Request, Response } from 'express';

export {
  acceptsEventStream,
  type EventMap,
  type SseStream,
  type SseStreamOptions,
} from '@ssekit/core';

declare global {
  namespace Express {
    interface Response {
      /**
       * The request's event stream, on routes behind `sse()` or `sseHandler` (elsewhere it is
       * `undefined`, whatever this type says). Reading it opens the stream: status 200 and the
       * headers go out at once, so answer errors such as 401 before touching it. A HEAD request
       * gets the headers and an already closed stream, a request whose `Accept` refuses
       * `text/event-stream` gets 406 and an already closed stream; to serve it something else
       * instead, check `acceptsEventStream(req.headers.accept)` before reading `res.sse`.
       */
      readonly sse: SseStream;
    }
  }
}

/** Options of {@link sseHandler}: the stream's options plus error reporting. */
export interface SseOptions extends SseStreamOptions {
  /** Receives what a handler threw after its stream opened (the stream is closed). Default `console.error`. */
  onError?: (error: unknown) => void;
}

/** A response whose `sse` is typed with the route's events. */
export type SseResponse<Events extends EventMap = EventMap> = Omit<Response, 'sse'> & {
  readonly sse: SseStream<Events>;
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
 * Middleware that gives every request a lazily opened `res.sse`. Nothing happens until a route
 * reads it, so `app.use(sse())` is safe to mount globally.
 */
export function sse(options: SseStreamOptions = {}): SseMiddleware {
  const streamOptions = resolveStreamOptions(options, 'sse');
  return (req, res, next) => {
    defineLazyStream(req, res, streamOptions);
    next();
  };
}

/**
 * A route handler with a typed `res.sse`. What the handler throws or rejects with after the
 * stream opened closes the stream and goes to `onError`; before that it goes to `next(error)`,
 * so Express answers it as usual. HEAD and refusing `Accept` headers are answered when the
 * handler reads `res.sse`, as with `sse()`.
 */
export function sseHandler<Events extends EventMap = EventMap>(
  handler: SseRouteHandler<Events>,
  options: SseOptions = {},
): SseMiddleware {
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
      const result = handler(req, res as unknown as SseResponse<Events>);
      if (isPromiseLike(result)) result.then(undefined, fail);
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

/** Makes `res.sse` the stream, opened at first read; returns its lazy holder. */
function defineLazyStream(req: Request, res: Response, options: SseStreamOptions): LazySseStream {
  const lazy = new LazySseStream(req, res, options, 'res.sse');
  exposeAsSse(res, lazy);
  return lazy;
}
