import { type EventMessage, type FormatOptions, formatEvent } from './format.js';
import type { EventMap, SseMessage } from './message.js';

const encoder = new TextEncoder();

/**
 * Node's `Buffer` where the runtime has one. A Node socket takes a `Buffer` as it is but wraps
 * any other `Uint8Array` in a new `Buffer` on every write: an event written to thousands of
 * sockets is better made a `Buffer` once.
 */
const NodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'utf8'): Uint8Array } })
  .Buffer;

/**
 * Marks an `EncodedEvent`. A registered symbol, not `instanceof`: an app can hold two copies of
 * this class (CommonJS and ESM builds, or two installs of @ssekit/core) and a stream from one
 * copy must still send the bytes of an event encoded by the other.
 */
const encodedEventBrand: unique symbol = Symbol.for('ssekit.encoded-event');

/**
 * An event formatted and UTF-8 encoded once, ready to be sent to any number of streams.
 * Broadcasting one `EncodedEvent` costs one serialization, whatever the number of clients.
 * Create it with {@link encodeEvent}; it is validated like any other event.
 */
export class EncodedEvent {
  /** The complete event block, blank line included. Treat as read-only. */
  readonly bytes: Uint8Array;
  /** The event's id, if it has one. */
  readonly id: string | undefined;
  /** @internal What {@link isEncodedEvent} recognises, whichever copy of ssekit made it. */
  readonly [encodedEventBrand] = true;

  constructor(message: EventMessage, options?: FormatOptions) {
    this.bytes = encodeText(formatEvent(message, options));
    this.id = message.id;
  }
}

/**
 * Formats and encodes a message once, for {@link SseStream.send} on many streams.
 * @throws {TypeError} on the same invalid fields as {@link formatEvent}.
 */
export function encodeEvent<Events extends EventMap = EventMap>(
  message: SseMessage<Events>,
  options?: FormatOptions,
): EncodedEvent {
  return new EncodedEvent(message as EventMessage, options);
}

/** Whether `value` is an `EncodedEvent` from any copy of @ssekit/core. */
export function isEncodedEvent(value: unknown): value is EncodedEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<EncodedEvent>)[encodedEventBrand] === true
  );
}

/** Encodes text that is already a valid event-stream fragment (built by `formatEvent`). */
export function encodeText(text: string): Uint8Array {
  return NodeBuffer === undefined ? encoder.encode(text) : NodeBuffer.from(text, 'utf8');
}
