/**
 * `@ssekit/fastify`: Server-Sent Events for Fastify 5. The adapter only translates: the stream,
 * its heartbeat, buffering, disconnect detection, `Accept` and HEAD answers and `Last-Event-ID`
 * come from `@ssekit/core/node`.
 */
import type { EventMap, SseStream } from '@ssekit/core';
import type { SseOptions } from './plugin.js';

export {
  acceptsEventStream,
  type EventMap,
  type SseStream,
  type SseStreamOptions,
} from '@ssekit/core';
export { type SseOptions, sse } from './plugin.js';

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
     * throws a TypeError saying so). Reading it opens the stream: status 200 and the headers go
     * out at once and Fastify stops answering this request, so answer errors such as 401 before
     * touching it. A HEAD request gets the headers and an already closed stream, a request whose
     * `Accept` refuses `text/event-stream` gets 406 and an already closed stream; to serve it
     * something else instead, check `acceptsEventStream(request.headers.accept)` first.
     * Typed with the route generic's `Events`: `app.get<{ Events: MyEvents }>(...)`.
     */
    readonly sse: SseStream<RouteEvents<RouteGeneric>>;
  }

  interface RouteShorthandOptions {
    /**
     * Makes the route an event stream route (`reply.sse`); an object sets this route's stream
     * options over the plugin's.
     */
    sse?: boolean | SseOptions;
  }
}
