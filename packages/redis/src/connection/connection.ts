/**
 * The one seam between the broker and a Redis client library. The broker speaks raw commands
 * (`['XADD', key, ...]`) through it, so supporting another client means writing these few calls,
 * nothing more. `nodeRedisConnection` and `ioredisConnection` are the two built in.
 */

/** What the broker watches on a connection. Every handler is optional. */
export interface ConnectionWatcher {
  /** The connection (re)became usable. */
  ready?(): void;
  /** The connection dropped; the client is reconnecting or gave up. */
  lost?(): void;
  /** The client reported an error (a failed reconnect, a broken socket). */
  error?(error: Error): void;
}

/** A Redis connection as the broker needs it. */
export interface RedisConnection {
  /** `true` while commands can be sent and answered now (not connecting or reconnecting). */
  readonly isReady: boolean;
  /**
   * Sends one command, e.g. `['XRANGE', key, '-', '+']`, and resolves to the raw reply (RESP2
   * arrays or RESP3 maps, strings or buffers: the broker reads either).
   */
  command(args: readonly string[]): Promise<unknown>;
  /** Registers watchers; returns the function that removes them. */
  watch(watcher: ConnectionWatcher): () => void;
  /**
   * A new connection to the same server with the same settings, for the broker's blocking read
   * loop (a blocked connection cannot serve anything else). The broker owns and destroys it.
   * Commands pending on it when it drops must reject rather than be replayed later.
   */
  duplicate(): RedisConnection;
  /** Starts connecting if the client has not yet; a no-op when it is connecting or connected. */
  connect(): void;
  /** Closes the connection at once; pending commands reject. Only called on owned connections. */
  destroy(): void;
}
