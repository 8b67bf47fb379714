/**
 * A stream that opens when asked: a framework adapter's `res.sse`, `ctx.sse` or `reply.sse`.
 * Defined apart from the Node bridge that implements it so that the hub can take one
 * (`hub.subscribe(res.sse, topic)`) without knowing about Node.
 */
import type { EventMap } from './message.js';
import type { SseStream } from './sse-stream.js';

/** Something that gives its stream on demand, opening it first (once). */
export interface SseStreamHandle<Events extends EventMap = EventMap> {
  /** Opens the stream if it is not open yet (status and headers go out) and returns it. */
  open(): SseStream<Events>;
}

/** The stream itself: `target` when it is one, else the handle's stream, opened now. */
export function streamOf<Events extends EventMap>(
  target: SseStream<Events> | SseStreamHandle<Events>,
): SseStream<Events> {
  return 'open' in target ? target.open() : target;
}
