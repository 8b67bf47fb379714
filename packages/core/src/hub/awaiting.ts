/**
 * Streams whose `subscribe` calls wait on an async `authorize`. They are not subscribed yet, but
 * they are connections: they count toward `maxConnections` (a crowd decided together is not let
 * in past it), `hub.close` closes them, and one refused call does not close a stream while
 * another call of it is still being decided. The count of a stream's undecided calls is its
 * state's (`StreamState.undecided`), which its replay reads too.
 */

/**
 * The part of a stream's state this needs. A wait ends when its call is decided, or when its
 * stream closes first (the hub ends it then, with the rest of what the call holds).
 */
interface Awaiting {
  readonly stream: unknown;
  undecided: number;
}

export class AwaitingStreams<State extends Awaiting> {
  /** The states with an undecided call. */
  readonly #states = new Set<State>();

  get size(): number {
    return this.#states.size;
  }

  streams(): Array<State['stream']> {
    return [...this.#states].map((state) => state.stream);
  }

  /** One more call of the stream waits; returns what ends that wait (idempotent). */
  add(state: State): () => void {
    state.undecided += 1;
    this.#states.add(state);
    let waiting = true;
    return () => {
      if (!waiting) return;
      waiting = false;
      state.undecided -= 1;
      if (state.undecided === 0) this.#states.delete(state);
    };
  }
}
