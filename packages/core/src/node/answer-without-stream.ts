/**
 * What the Node bridge writes instead of a stream: the HEAD answer and the 406 answer of
 * `eventStreamAnswer`, so that `openSseStream` and every adapter built on it agree with the
 * fetch entry point.
 */
import { type EventStreamAnswer, NOT_ACCEPTABLE_TEXT, NOT_ACCEPTABLE_TYPE } from '../accept.js';
import { DEFAULT_HEADERS } from '../headers.js';
import type { EventMap, SseStream } from '../sse-stream.js';
import type { NodeResponseLike } from './types.js';

/**
 * Ends `res` with the answer and closes `stream`, which was never connected: a route that goes on
 * to use it (`hub.subscribe`, `send`) does nothing, and `stream.closed` has settled.
 * `withExtraHeaders` says whether the stream carries headers of the user's (CORS…).
 */
export function answerWithoutStream<Events extends EventMap>(
  res: NodeResponseLike,
  answer: Exclude<EventStreamAnswer, 'stream'>,
  stream: SseStream<Events>,
  withExtraHeaders: boolean,
): void {
  stream.close();
  if (res.destroyed) return; // the client left while the route awaited: nobody to answer
  const headers = withExtraHeaders ? Object.fromEntries(stream.headers) : DEFAULT_HEADERS;
  if (answer === 'headers') {
    res.writeHead(200, headers);
    res.end();
  } else {
    res.writeHead(406, { ...headers, 'content-type': NOT_ACCEPTABLE_TYPE });
    res.end(NOT_ACCEPTABLE_TEXT);
  }
}
