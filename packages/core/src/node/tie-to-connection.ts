/**
 * For adapters that serve a fetch `Response` on Node (h3 through srvx): the same connection
 * rules as `openSseStream`, for a stream whose bytes the runtime writes. The runtime only
 * closes the body on its response's `'close'`, which Node 22 never emits for a pipelined
 * response queued behind another.
 */
import type { EventMap, SseStream } from '../sse-stream.js';
import { closeAfterShutdown } from './close-after-shutdown.js';
import { type ConnectionHolder, hold, http1Socket, isHeld, letGo } from './connection.js';
import type { NodeRequestLike, NodeResponseLike } from './types.js';

/**
 * Ties `stream` to the HTTP/1.1 connection under `req`: it closes when the socket does, and it
 * is closed at once when the connection already carries a live stream (a pipelined request
 * queued behind it). Over HTTP/2 it does nothing: the runtime sees each stream close.
 */
export function tieToConnection<Events extends EventMap>(
  stream: SseStream<Events>,
  req: NodeRequestLike,
  res: NodeResponseLike,
): void {
  const socket = http1Socket(req, res);
  if (socket === undefined || stream.isClosed) return;
  if (isHeld(socket)) {
    stream.close();
    return;
  }
  const holder = new StreamHolder(stream);
  hold(socket, holder);
  void stream.closed.then(() => {
    letGo(socket, holder);
    closeAfterShutdown(res, socket);
  });
}

/** What the socket keeps: the stream to close, nothing else. */
class StreamHolder implements ConnectionHolder {
  readonly #stream: { close(): void };

  constructor(stream: { close(): void }) {
    this.#stream = stream;
  }

  connectionClosed(): void {
    this.#stream.close();
  }
}
