/**
 * What the connection side (one connection, the reconnect loop, the tab sharing) needs from the
 * client: its options, its position in the stream, and where to put what arrives. A small seam,
 * so that a tab following another tab feeds the client through the same three calls.
 */
import type { SseClientError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** Where the client is; `paused` only with the `pauseWhenHidden` connection. */
export type ClientState = 'connecting' | 'open' | 'retrying' | 'paused' | 'closed';

/** One event as it came off the wire: its data still text. */
export interface WireEvent {
  event?: string;
  data: string;
  id?: string;
}

export interface Host {
  readonly options: ResolvedOptions;
  /** The last id received, sent as `Last-Event-ID`. */
  position(): string | undefined;
  receive(event: WireEvent): void;
  /**
   * An id came: the position is after it. Called before the event the id came with, if any
   * (a block without data is no event, and its id moves the position too).
   */
  moveTo(id: string): void;
  setState(state: ClientState): void;
  /** Bytes arrived (an event or a heartbeat): the connection is alive. */
  alive?(): void;
}

/**
 * How connecting ended for good: with the error that closed it, or quietly (a 204, or a request
 * with a body whose stream ended and must not be resent).
 */
export interface Ending {
  error?: SseClientError;
}

/** Connects `host` until the stream ends for good (an {@link Ending}) or `signal` aborts. */
export type Connect = (host: Host, signal: AbortSignal) => Promise<Ending | undefined>;

/**
 * A way of connecting, for the `connection` option: what `shareAcrossTabs()` and
 * `pauseWhenHidden(ms)` of `@ssekit/client/tabs` return. It runs `connect` (the reconnect loop)
 * when and for whom it decides, until `stop` aborts or the stream ends for good.
 */
export type ConnectionMode = (
  host: Host,
  stop: AbortSignal,
  connect: Connect,
) => Promise<Ending | undefined>;
