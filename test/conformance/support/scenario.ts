/**
 * What a conformance test asks of a server: the stream options and what to write once the
 * stream is open. Every adapter's factory mounts the same scenario the same way.
 */
import type { SseStream, SseStreamOptions } from '@ssekit/core';
import type { LazySseStream } from '@ssekit/core/adapter';

/** The typed events of the suite: the adapters must accept them without casts. */
export type TestEvents = {
  message: string;
  tick: { n: number };
};

/**
 * What a route writes to: the stream itself (fetch entry, node:http, h3), or the handle a
 * framework adapter exposes (`res.sse`, `ctx.sse`, `reply.sse`), opened at first use.
 */
export type TestStream = SseStream<TestEvents> | LazySseStream<TestEvents>;

export interface Scenario {
  /** The stream's options, passed to the adapter. */
  options?: SseStreamOptions;
  /** Answer 401 before the stream opens when the request has no `Authorization` header. */
  guard?: boolean;
  /** Async work the route awaits before it opens the stream (auth, a database read). */
  before?: () => Promise<void>;
  /**
   * Serve {@link JSON_ANSWER} to clients that refuse `text/event-stream`, checked with the
   * adapter's `acceptsEventStream` before the stream opens, instead of letting it answer 406.
   */
  negotiate?: boolean;
  /** Writes to the opened stream; may be async, may throw. */
  run(stream: TestStream): unknown;
}

/** How the framework is set up around the route. */
export interface AppSetup {
  /** Mount the framework's compression middleware in front of the route. */
  compression?: boolean;
  /** Serve over `node:http2` (h2c) instead of `node:http`. */
  http2?: boolean;
}

/** What a negotiating route answers to a client that refuses `text/event-stream`. */
export const JSON_ANSWER = { servedAsJson: true } as const;

/** What a guarded route answers before opening the stream. */
export const UNAUTHORIZED = { error: 'unauthorized' } as const;

/** The route every factory serves. */
export const EVENTS_PATH = '/events';
