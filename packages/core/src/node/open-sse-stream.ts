/**
 * Opening an event stream on a Node response. Bytes are written straight to the response rather
 * than through a web ReadableStream: the reader-loop alternative costs a promise per chunk
 * (figures in the core README).
 */
import { eventStreamAnswer } from '../accept.js';
import { DEFAULT_HEADERS } from '../headers.js';
import { attachSink } from '../sink.js';
import { createSseStream, type EventMap, type SseStream } from '../sse-stream.js';
import type { SseStreamOptions } from '../stream-options.js';
import { answerWithoutStream } from './answer-without-stream.js';
import { http1Socket, isConnectionGone, isHeld } from './connection.js';
import { headerValue, requestLastEventId } from './request-last-event-id.js';
import { closeGraceMs, ResponseSink } from './response-sink.js';
import type { NodeRequestLike, NodeResponseLike } from './types.js';

/**
 * Opens an event stream on a Node response: writes status 200 and the event-stream headers at
 * once (so the browser's `onopen` fires), reads `Last-Event-ID` (re-decoded from latin1 to
 * UTF-8) or the `lastEventId` query parameter, honours `write()` backpressure and `'drain'`,
 * detects the client leaving through the response's `'close'`, and flushes compression
 * middleware after every write.
 *
 * A client may leave while the handler awaits before opening: the stream is then returned
 * already closed (`closed` settled, `send` returns `false`, a hub does not subscribe it). An
 * HTTP/1.1 connection carries at most one live stream: a stream opened on a pipelined request
 * queued behind a live one is returned closed, its response ended (sent, empty, once the one
 * in front ends), and every stream of a connection closes when its socket does.
 *
 * A HEAD request gets status 200 and the headers, a request whose `Accept` refuses
 * `text/event-stream` gets 406 (see `acceptsEventStream`); either way the response is ended and
 * the stream returned is already closed.
 */
export function openSseStream<Events extends EventMap = EventMap>(
  req: NodeRequestLike,
  res: NodeResponseLike,
  options: SseStreamOptions = {},
): SseStream<Events> {
  const stream = createSseStream<Events>({
    ...options,
    lastEventId: requestLastEventId(req, options.lastEventId),
  });
  const answer = eventStreamAnswer(req.method, headerValue(req.headers.accept));
  if (answer !== 'stream') {
    answerWithoutStream(res, answer, stream, options.headers !== undefined);
    return stream;
  }
  const socket = http1Socket(req, res);
  const gone = isConnectionGone(res, socket);
  const behindLiveStream = !gone && socket !== undefined && isHeld(socket);
  if (!gone) {
    // Without extra headers every connection shares one frozen record: no header objects of its own.
    res.writeHead(
      200,
      options.headers === undefined ? DEFAULT_HEADERS : Object.fromEntries(stream.headers),
    );
    res.flushHeaders?.();
  }
  const closeTimeoutMs = closeGraceMs(options.heartbeat);
  const holds = gone || behindLiveStream ? undefined : socket;
  let sink!: ResponseSink;
  stream[attachSink]((source) => {
    sink = new ResponseSink(source, res, closeTimeoutMs, holds);
    return sink;
  });
  if (gone) sink.connectionClosed();
  else if (behindLiveStream) stream.close();
  return stream;
}
