/**
 * Streams whose `subscribe` calls wait on an async `authorize`. They are not subscribed yet, but
 * they are connections: they count toward `maxConnections` (a crowd decided together is not let
 * in past it), `hub.close` closes them, and one refused call does not close a stream while
 * another call of it is still being decided.
 */

/** The part of a stream this needs: a stream that closes while waiting is forgotten then. */
interface Closable {
  readonly closed: Promise<void>;
}

export class AwaitingStreams<Stream extends Closable> {
  /** Undecided calls per stream. */
  readonly #calls = new Map<Stream, number>();

  get size(): number {
    return this.#calls.size;
  }

  has(stream: Stream): boolean {
    return this.#calls.has(stream);
  }

  streams(): Stream[] {
    return [...this.#calls.keys()];
  }

  /** One more call of `stream` waits; returns what ends that wait (idempotent). */
  add(stream: Stream): () => void {
    const calls = this.#calls.get(stream);
    this.#calls.set(stream, (calls ?? 0) + 1);
    if (calls === undefined) stream.closed.then(() => this.#calls.delete(stream));
    let waiting = true;
    return () => {
      if (!waiting) return;
      waiting = false;
      const left = (this.#calls.get(stream) ?? 1) - 1;
      if (left > 0) this.#calls.set(stream, left);
      else this.#calls.delete(stream);
    };
  }
}
