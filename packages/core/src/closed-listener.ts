/**
 * How the hub learns that a stream closed without a promise continuation per stream: one
 * listener object for many streams, told in a microtask once the stream has closed.
 */

/** @internal What {@link whenClosed} tells. */
export interface ClosedListener {
  streamClosed(stream: object): void;
}

/** @internal The hub's way to learn that a stream closed. */
export const whenClosed = Symbol.for('ssekit.whenClosed');

/** @internal The listener a stream tells when it closes, if it has one: the hub's state of it. */
export const closedListener = Symbol.for('ssekit.closedListener');
