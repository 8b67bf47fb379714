import {
  type EventStreamAnswer,
  eventStreamAnswer,
  NOT_ACCEPTABLE_TEXT,
  NOT_ACCEPTABLE_TYPE,
} from './accept.js';
import { optionalFunction } from './checks.js';
import { readLastEventId } from './last-event-id.js';
import { nodeBackedBody, nodeResponseOf } from './node/runtime-response.js';
import { isPromiseLike } from './promise-like.js';
import { resolveStreamOptions } from './resolve-stream-options.js';
import {
  createSseStream,
  type EventMap,
  type SseStream,
  type SseStreamOptions,
} from './sse-stream.js';

/** Runs for each connection with its stream; may be async. */
export type SseHandler<Events extends EventMap = EventMap> = (stream: SseStream<Events>) => unknown;

/** Options of {@link createSseResponse}: the stream's options plus error reporting. */
export interface SseResponseOptions extends SseStreamOptions {
  /** Receives what the handler threw or rejected with (the stream is closed). Default `console.error`. */
  onError?: (error: unknown) => void;
}

/**
 * The fetch-style entry point (Hono, Bun, Deno, Next.js route handlers, Workers, h3): opens an
 * event stream for `request` and returns its `Response` at once, while `handler` writes to it.
 *
 * On a Node server that exposes its response to the request (srvx, and so h3 on Node), the
 * events are written straight to the Node response, as `openSseStream` does; the runtime still
 * writes the status and headers of the returned `Response`.
 *
 * The request's signal closes the stream; `Last-Event-ID` (or the `lastEventId` query parameter)
 * becomes `stream.lastEventId`. A handler that throws or rejects closes the stream and is
 * reported through `onError`; it is never swallowed.
 *
 * A HEAD request gets status 200 and the headers without a body, a request whose `Accept`
 * refuses `text/event-stream` gets 406 with a short plain-text reason (see
 * `acceptsEventStream`); the handler does not run for either.
 */
export function createSseResponse<Events extends EventMap = EventMap>(
  request: Request,
  handler: SseHandler<Events>,
  options: SseResponseOptions = {},
): Response {
  const streamOptions = resolveStreamOptions(
    options,
    'createSseResponse',
    ['onError'],
    'one connection',
  );
  const onError =
    optionalFunction('createSseResponse', 'onError', options.onError, '(error) => void') ??
    console.error;
  const stream = createSseStream<Events>({
    ...streamOptions,
    signal: combineSignals(request.signal, options.signal),
    lastEventId:
      options.lastEventId ?? readLastEventId(request.headers.get('last-event-id'), request.url),
  });
  const answer = eventStreamAnswer(request.method, request.headers.get('accept'));
  if (answer !== 'stream') return answerWithoutStream(stream, answer);
  // A Request's signal follows the signal it was built with only while the Request lives
  // (Node's fetch drops the link when the Request is collected): held until the stream closes,
  // or a client that leaves after a collection would never be noticed.
  stream.closed.then(() => request);
  const nodeResponse = nodeResponseOf(request);
  const response =
    nodeResponse === undefined
      ? stream.toResponse()
      : new Response(nodeBackedBody(stream, nodeResponse, streamOptions.heartbeat), {
          status: 200,
          headers: new Headers(stream.headers),
        });
  runHandler(stream, handler, onError);
  return response;
}

/** The HEAD or 406 answer; the stream, never read, is closed. */
function answerWithoutStream<Events extends EventMap>(
  stream: SseStream<Events>,
  answer: Exclude<EventStreamAnswer, 'stream'>,
): Response {
  stream.close();
  const headers = new Headers(stream.headers);
  if (answer === 'headers') return new Response(null, { status: 200, headers });
  headers.set('content-type', NOT_ACCEPTABLE_TYPE);
  return new Response(NOT_ACCEPTABLE_TEXT, { status: 406, headers });
}

/** Runs a handler without letting it block or crash the caller; failures close the stream. */
export function runHandler<Events extends EventMap>(
  stream: SseStream<Events>,
  handler: SseHandler<Events>,
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
