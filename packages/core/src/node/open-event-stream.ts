/**
 * Opening an event stream on a Node response. Bytes are written straight to the response rather
 * than through a web ReadableStream: the reader-loop alternative costs a promise per chunk
 * (figures in the core README).
 */
import {
  createEventStream,
  DEFAULT_HEARTBEAT_MS,
  type EventMap,
  type EventStream,
  type EventStreamOptions,
} from '../event-stream.js';
import { DEFAULT_HEADERS } from '../headers.js';
import { readLastEventId } from '../last-event-id.js';
import { attachSink } from '../sink.js';
import { ResponseSink } from './response-sink.js';
import type { NodeRequestLike, NodeResponseLike } from './types.js';

/**
 * Opens an event stream on a Node response: writes status 200 and the event-stream headers at
 * once (so the browser's `onopen` fires), reads `Last-Event-ID` (re-decoded from latin1 to
 * UTF-8) or the `lastEventId` query parameter, honours `write()` backpressure and `'drain'`,
 * detects the client leaving through the response's `'close'`, and flushes compression
 * middleware after every write.
 */
export function openEventStream<Events extends EventMap = EventMap>(
  req: NodeRequestLike,
  res: NodeResponseLike,
  options: EventStreamOptions = {},
): EventStream<Events> {
  const stream = createEventStream<Events>({
    ...options,
    lastEventId:
      options.lastEventId ?? readLastEventId(headerValue(req.headers['last-event-id']), req.url),
  });
  // Without extra headers every connection shares one frozen record: no header objects of its own.
  res.writeHead(
    200,
    options.headers === undefined ? DEFAULT_HEADERS : Object.fromEntries(stream.headers),
  );
  res.flushHeaders?.();
  const closeTimeoutMs =
    typeof options.heartbeat === 'number' ? options.heartbeat : DEFAULT_HEARTBEAT_MS;
  stream[attachSink]((source) => new ResponseSink(source, res, closeTimeoutMs));
  return stream;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
