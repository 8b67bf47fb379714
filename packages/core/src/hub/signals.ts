/**
 * The events the hub sends of its own, beside the published ones: the reset (refetch your
 * state), the cursor (your position, so a reconnect resumes from it) and the denial of a topic. Their names and wire
 * form are part of the API: `@ssekit/client` and pages listening with EventSource rely on them
 * (the core README, "Hub signals", documents both).
 */
import { type EncodedEvent, encodeEvent } from '../encoded-event.js';

/** The event a client gets when its `Last-Event-ID` cannot be replayed: refetch your state. */
export const RESET_EVENT = 'ssekit:reset';
/** The event that hands a subscriber its position, so a reconnect resumes from there. */
export const CURSOR_EVENT = 'ssekit:cursor';

/**
 * The event a client gets for a topic its `subscribe` asked for and `authorize` refused; its
 * `data` is the topic. It has no id: the client's position stays where it was.
 */
export const DENIED_EVENT = 'ssekit:denied';

/** The `data` of a {@link RESET_EVENT}: why the client must refetch its state. */
export type ResetReason = 'unknown-id' | 'events-lost';

/**
 * The hub's own events and their `data`, to merge into the event map a client of a hub
 * subscription sees: `Events & HubSignals` (a typed client, or `addEventListener` names).
 * Both carry an `id`, the position a reconnect resumes from.
 */
export type HubSignals = {
  /** Refetch the state the events were updating; the `data` says why. */
  [RESET_EVENT]: ResetReason;
  /** Nothing to act on: the block exists so every client records its `id`. Its `data` is empty. */
  [CURSOR_EVENT]: '';
  /** A topic this client may not see (the hub's `authorize` refused it); the `data` is the topic. */
  [DENIED_EVENT]: string;
};

/** The reset event, positioned at `id` (`undefined` while the broker has no position). */
export function resetSignal(id: string | undefined, reason: ResetReason): EncodedEvent {
  return encodeEvent({ event: RESET_EVENT, id, data: reason });
}

/**
 * The cursor event. An empty `data:` line, not an id-only block: `eventsource-parser` (and so
 * the `eventsource` package) dispatches, and takes the id of, only blocks with data.
 */
export function cursorSignal(id: string): EncodedEvent {
  return encodeEvent({ event: CURSOR_EVENT, id, data: '' });
}

/** The denied event for `topic`. */
export function deniedSignal(topic: string): EncodedEvent {
  return encodeEvent({ event: DENIED_EVENT, data: topic });
}
