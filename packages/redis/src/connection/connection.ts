/**
 * The one seam between the broker and a Redis client library. The broker speaks raw commands
 * (`['XADD', key, ...]`) through it, so supporting another client means writing these few calls,
 * nothing more. `nodeRedisConnection` and `ioredisConnection` are the two built in.
 */

/** A Redis connection as the broker needs it. */
export interface RedisConnection {
  /**
   * `true` for a Redis Cluster, where a command's keys must share one hash slot: the broker then
   * reads each partition on a connection of its own (a multi-key `XREAD` across slots is refused).
   * The connection routes each command to the node of its keys and follows redirections.
   */
  readonly isCluster?: boolean;
  /** `true` while commands can be sent and answered now (not connecting or reconnecting). */
  readonly isReady: boolean;
  /**
   * Sends one command, e.g. `['XRANGE', key, '-', '+']`, and resolves to the raw reply (RESP2
   * arrays or RESP3 maps, strings or buffers: the broker reads either).
   */
  command(args: readonly string[]): Promise<unknown>;
  /**
   * Listens to the client's errors (a broken socket, a failed reconnect), so that none goes
   * unhandled and crashes the process; returns the function that stops listening.
   */
  onError(listener: (error: Error) => void): () => void;
  /**
   * A new connection to the same server with the same settings, for the broker's blocking read
   * loop and for publishing. The broker owns and destroys it. Commands pending on it when it
   * drops, or sent while it is not ready, must reject rather than be sent later: the broker sends
   * a publish again itself, and only when it knows that is safe.
   */
  duplicate(): RedisConnection;
  /** Starts connecting if the client has not yet; a no-op when it is connecting or connected. */
  connect(): void;
  /** Closes the connection at once; pending commands reject. Only called on owned connections. */
  destroy(): void;
}
