/**
 * `@ssekit/fastify`: Server-Sent Events for Fastify 5. The adapter only translates: the stream,
 * its heartbeat, buffering, disconnect detection, `Accept` and HEAD answers and `Last-Event-ID`
 * come from `@ssekit/core/adapter`.
 */
import type { SseStream as CoreSseStream, EventMap } from '@ssekit/core';
import type { LazySseStream } from '@ssekit/core/adapter';
import type { SseOptions } from './plugin.js';

export { acceptsEventStream, type EventMap, type SseStreamOptions } from '@ssekit/core';
export { type SseOptions, sse } from './plugin.js';

/**
 * The stream type of `@ssekit/core`. A type alias, not a re-export: the class itself comes from
 * `@ssekit/core` only (a re-exported class would be declared here but missing at runtime).
 */
export type SseStream<Events extends EventMap = EventMap> = CoreSseStream<Events>;

/**
 * The events of a route, from its route generic: `app.get<{ Events: MyEvents }>(...)` types
 * `reply.sse` as `SseStream<MyEvents>`; without `Events`, any event.
 */
export type RouteEvents<RouteGeneric> = RouteGeneric extends {
  Events: infer Events extends EventMap;
}
  ? Events
  : EventMap;

declare module 'fastify' {
  interface RouteGenericInterface {
    /** The events the route's `reply.sse` sends (see {@link RouteEvents}). */
    Events?: EventMap;
  }

  interface FastifyReply<RouteGeneric> {
    /**
     * The request's event stream, on routes declared with the `sse` option (elsewhere reading it
     * throws a TypeError saying so). Reading it opens nothing: the stream opens (status 200 and
     * the headers go out, Fastify stops answering this request) at the first `send`, `write`,
     * `pipe`, `comment` or `close`, at `hub.subscribe(reply.sse, …)`, or with
     * `reply.sse.open()`, which returns the `SseStream`; an async route that read it and
     * resolves with nothing, unanswered, has it opened then. Until then the route may answer
     * otherwise (401, 404). Opening answers a HEAD request with the headers and a request whose
     * `Accept` refuses `text/event-stream` with 406, without a stream; to serve the latter
     * something else, check `acceptsEventStream(request.headers.accept)`.
     * Typed with the route generic's `Events`: `app.get<{ Events: MyEvents }>(...)`.
     */
    readonly sse: LazySseStream<RouteEvents<RouteGeneric>>;
  }

  interface RouteShorthandOptions {
    /**
     * Makes the route an event stream route (`reply.sse`); an object sets this route's stream
     * options over the plugin's.
     */
    sse?: boolean | SseOptions;
  }
}
