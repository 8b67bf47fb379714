/**
 * `@ssekit/h3`: Server-Sent Events for h3 v2. The adapter only translates: the stream, its
 * heartbeat, buffering and `Last-Event-ID` come from the core's fetch entry point.
 */
import {
  type SseStream as CoreSseStream,
  createSseResponse,
  type EventMap,
  type SseResponseOptions,
} from '@ssekit/core';
import {
  optionalFunction,
  requiredFunction,
  resolveStreamOptions,
  tieToConnection,
} from '@ssekit/core/adapter';
import { defineHandler, type EventHandlerWithFetch, type H3Event } from 'h3';

export { acceptsEventStream, type EventMap, type SseResponseOptions } from '@ssekit/core';

/**
 * The stream type of `@ssekit/core`. A type alias, not a re-export: the class itself comes from
 * `@ssekit/core` only (a re-exported class would be declared here but missing at runtime).
 */
export type SseStream<Events extends EventMap = EventMap> = CoreSseStream<Events>;

/** Writes to one client's stream; may be async. Runs after the response has been returned. */
export type SseEventHandler<Events extends EventMap = EventMap> = (
  event: H3Event,
  stream: SseStream<Events>,
) => unknown;

/**
 * Opens an event stream for `event` and returns its `Response` at once, while `handler` writes
 * to it. Return it from any h3 handler, after answering errors (401, 404) as usual.
 *
 * The request's signal (`event.req.signal`) closes the stream when the client leaves (on Node,
 * its connection's close too; a pipelined request behind a live stream gets a closed one);
 * `Last-Event-ID` or the `lastEventId` query parameter becomes `stream.lastEventId`. The
 * handler is not awaited, so a handler that awaits a write never holds the response back.
 */
export function sseResponse<Events extends EventMap = EventMap>(
  event: H3Event,
  handler: SseEventHandler<Events>,
  options?: SseResponseOptions,
): Response {
  const node = event.runtime?.node;
  return createSseResponse<Events>(
    event.req,
    (stream) => {
      // On Node, the connection rules of the Node bridge: one live stream per HTTP/1.1
      // connection, closed with its socket (the runtime misses queued responses on Node 22).
      if (node?.res !== undefined) tieToConnection(stream, node.req, node.res);
      return handler(event, stream);
    },
    options,
  );
}

/**
 * An h3 handler that streams events: `app.get('/events', defineSseHandler(handler))`.
 * What the handler throws or rejects with closes the stream and goes to `options.onError`.
 * @throws {TypeError} at definition when an option is invalid.
 */
export function defineSseHandler<Events extends EventMap = EventMap>(
  handler: SseEventHandler<Events>,
  options: SseResponseOptions = {},
): EventHandlerWithFetch {
  // Fail at startup, not at the first client, on an invalid handler or option.
  requiredFunction('defineSseHandler', 'handler', handler, '(event, stream) => void');
  const streamOptions = resolveStreamOptions(options, 'defineSseHandler', ['onError']);
  const onError = optionalFunction(
    'defineSseHandler',
    'onError',
    options.onError,
    '(error) => void',
  );
  const checked: SseResponseOptions =
    onError === undefined ? streamOptions : { ...streamOptions, onError };
  return defineHandler((event) => sseResponse(event, handler, checked));
}
