/**
 * The seam between an SseStream and where its bytes go: a web ReadableStream or a Node
 * ServerResponse. The stream owns the queue and the lifecycle; a sink only moves bytes out.
 */

/** What a sink can ask of the stream it serves. */
export interface SinkSource {
  /**
   * Takes the oldest queued chunks, about a high-water mark's worth (at least one), or
   * `undefined` when the queue is empty. Call again for the rest.
   */
  take(): Uint8Array[] | undefined;
  /** The sink accepted more: writers waiting in `ready()` may continue. */
  drained(): void;
  /** The client went away or the output failed: clean up at once, drop what is queued. */
  disconnected(error?: unknown): void;
}

/** Where a stream's bytes go. */
export interface Sink {
  /** Chunks were queued after the queue was empty. */
  wake(): void;
  /** Bytes handed over but not yet taken by the client (they count against the buffer cap). */
  readonly bufferedBytes: number;
  /** Finish after writing what is still queued. */
  end(): void;
  /**
   * Stop at once and release everything: the client is gone, or must be cut off (`reason` is
   * then set, and the connection must be aborted, not ended: bytes it would wait to flush to a
   * client that does not read would hold the socket).
   */
  destroy(reason?: Error): void;
}

/** Attaches a sink to a stream; a stream takes exactly one sink. Internal to ssekit's packages. */
export const attachSink = Symbol.for('ssekit.attachSink');

/** Something a sink can be attached to. */
export interface SinkTarget {
  [attachSink](createSink: (source: SinkSource) => Sink): void;
}
