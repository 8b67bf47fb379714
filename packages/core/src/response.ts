import {
  createEventStream,
  type EventMap,
  type EventStream,
  type EventStreamOptions,
} from './event-stream.js';
import { readLastEventId } from './last-event-id.js';

/** Runs for each connection with its stream; may be async. */
export type EventStreamHandler<Events extends EventMap = EventMap> = (
  stream: EventStream<Events>,
) => unknown;

/** Options of {@link createEventStreamResponse}: the stream's options plus error reporting. */
export interface EventStreamResponseOptions extends EventStreamOptions {
  /** Receives what the handler threw or rejected with (the stream is closed). Default `console.error`. */
  onError?: (error: unknown) => void;
}

/**
 * The fetch-style entry point (Hono, Bun, Deno, Next.js route handlers, Workers, h3): opens an
 * event stream for `request` and returns its `Response` at once, while `handler` writes to it.
 *
 * The request's signal closes the stream; `Last-Event-ID` (or the `lastEventId` query parameter)
 * becomes `stream.lastEventId`. A handler that throws or rejects closes the stream and is
 * reported through `onError`; it is never swallowed.
 */
export function createEventStreamResponse<Events extends EventMap = EventMap>(
  request: Request,
  handler: EventStreamHandler<Events>,
  options: EventStreamResponseOptions = {},
): Response {
  const { onError = console.error, ...streamOptions } = options;
  const stream = createEventStream<Events>({
    ...streamOptions,
    signal: combineSignals(request.signal, options.signal),
    lastEventId:
      options.lastEventId ?? readLastEventId(request.headers.get('last-event-id'), request.url),
  });
  const response = stream.toResponse();
  runHandler(stream, handler, onError);
  return response;
}

/** Runs a handler without letting it block or crash the caller; failures close the stream. */
export function runHandler<Events extends EventMap>(
  stream: EventStream<Events>,
  handler: EventStreamHandler<Events>,
  onError: (error: unknown) => void = console.error,
): void {
  const fail = (error: unknown) => {
    stream.close();
    onError(error);
  };
  try {
    const result = handler(stream);
    if (isPromiseLike(result)) result.then(undefined, fail);
  } catch (error) {
    fail(error);
  }
}

function combineSignals(
  first: AbortSignal | undefined,
  second: AbortSignal | undefined,
): AbortSignal | undefined {
  if (first === undefined || second === undefined) return first ?? second;
  return AbortSignal.any([first, second]);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
