/**
 * The options of one stream: what each means, their defaults, and the one place they are
 * checked. Bad values throw a TypeError naming the option and the fix, before anything opens.
 */

import { checkKnownKeys, fieldName, positiveInteger, retryDelay } from './checks.js';
import { inputError } from './errors.js';
import type { Serializer } from './format.js';

/** What happens when a client does not read and its buffer reaches `maxBufferedBytes`. */
export type OverflowPolicy = 'close' | 'drop';

/** Options of {@link createSseStream}. Every field is optional. */
export interface SseStreamOptions {
  /** Aborting it closes the stream and cleans up (wire the request's signal here). */
  signal?: AbortSignal;
  /** The client's `Last-Event-ID`, exposed as `stream.lastEventId`. */
  lastEventId?: string;
  /**
   * The longest a connection stays silent: after this many ms without a write, a keep-alive
   * comment is written. `false` disables. Default 5000, under the shortest idle timeout a
   * server or proxy has by default (Bun's 10 s; the core README lists them).
   */
  heartbeat?: number | false;
  /** Reconnection delay (ms) sent to the client once, when the stream opens. Default: none. */
  retry?: number;
  /** Serializer for non-string `data`. Default: `JSON.stringify`. */
  serializer?: Serializer;
  /** Extra response headers (CORS, for example). `Connection` and `Transfer-Encoding` are refused. */
  headers?: HeadersInit;
  /**
   * Above this many buffered bytes, `send()` returns `false` and `write()` waits for the client
   * to read. Default 65536 (64 KiB), at most `maxBufferedBytes`.
   */
  highWaterMark?: number;
  /**
   * The most bytes a client may owe: bytes queued in an earlier turn of the event loop that it
   * left unread, less its credit for bursts. A turn's bytes are a burst when they are more than
   * the credit left; the burst is added to the credit (the client reaches it only by reading what
   * is before it), and the credit shrinks to what the client has left unread as it reads, so a
   * client that reads faster than events arrive owes nothing, and one that stops owes everything
   * sent after. Bytes queued in the current turn never count. Memory held for a client is at most
   * this, plus the bytes queued in one turn, plus a credit under twice the most bytes sent to it
   * in one turn. Default 1048576 (1 MiB).
   */
  maxBufferedBytes?: number;
  /**
   * The longest the stream stays open, in ms: then it ends with a reconnection delay and the
   * client reconnects (with fresh credentials) and resumes from its last id. The end is spread
   * over the last tenth of the stream's life, at most a minute early, so streams opened together
   * do not reconnect together. For a per-stream deadline (a token's expiry) use
   * `stream.closeAt(time)`. Default: no limit.
   */
  maxAge?: number;
  /** Once a client leaves more than `maxBufferedBytes` unread: `'close'` the connection (the client reconnects and can replay) or `'drop'` each event sent until it catches up. Default `'close'`. */
  onOverflow?: OverflowPolicy;
}

/**
 * Every key of {@link SseStreamOptions}: any other is a misspelling and throws. A layer that
 * takes these options plus its own checks the union once, with {@link checkKnownKeys}.
 */
export const SSE_STREAM_OPTION_KEYS: readonly (keyof SseStreamOptions)[] = [
  'signal',
  'lastEventId',
  'heartbeat',
  'retry',
  'serializer',
  'headers',
  'highWaterMark',
  'maxBufferedBytes',
  'onOverflow',
  'maxAge',
];

/** @internal Also the Node bridge's grace for a client that stops reading after `close()`. */
export const DEFAULT_HEARTBEAT_MS = 5000;
const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/** The checked limits of one stream, defaults filled in. */
export interface StreamLimits {
  heartbeat: number | false;
  highWaterMark: number;
  maxBufferedBytes: number;
  onOverflow: OverflowPolicy;
  maxAge: number | undefined;
}

/**
 * Checks the options' keys and values, and fills in the defaults.
 * @throws {TypeError} naming the option and the fix.
 */
export function checkStreamOptions(options: SseStreamOptions): StreamLimits {
  checkKnownKeys('createSseStream', options, SSE_STREAM_OPTION_KEYS);
  return checkStreamLimits(options);
}

/**
 * Checks the values of the options that set a stream's limits, and fills in the defaults;
 * `owner` names the layer in errors (`createSseStream` when omitted).
 * @throws {TypeError} (`ERR_SSE_INVALID_OPTION`) naming the option and the fix.
 */
export function checkStreamLimits(options: SseStreamOptions, owner?: string): StreamLimits {
  retryDelay(owner ?? 'createSseStream', options.retry);
  checkSignal(options, owner);
  checkLastEventId(options, owner);
  const heartbeat =
    options.heartbeat === false
      ? false
      : positiveInteger('heartbeat', options.heartbeat, { owner, fallback: DEFAULT_HEARTBEAT_MS });
  const maxBufferedBytes = positiveInteger('maxBufferedBytes', options.maxBufferedBytes, {
    owner,
    fallback: DEFAULT_MAX_BUFFERED_BYTES,
  });
  // A high-water mark above the cap would let writers run into the overflow policy unwarned.
  const highWaterMark = Math.min(
    maxBufferedBytes,
    positiveInteger('highWaterMark', options.highWaterMark, {
      owner,
      fallback: DEFAULT_HIGH_WATER_MARK,
    }),
  );
  return {
    heartbeat,
    highWaterMark,
    maxBufferedBytes,
    onOverflow: checkPolicy(options, owner),
    maxAge: positiveInteger('maxAge', options.maxAge, { owner }),
  };
}

function checkSignal({ signal }: SseStreamOptions, owner: string | undefined): void {
  if (signal === undefined) return;
  const candidate = signal as { aborted?: unknown; addEventListener?: unknown } | null;
  if (typeof candidate?.aborted === 'boolean' && typeof candidate.addEventListener === 'function')
    return;
  throw inputError(
    'ERR_SSE_INVALID_OPTION',
    `ssekit: ${fieldName(owner, 'signal')} must be an AbortSignal (the request's signal), got ${signal === null ? 'null' : typeof signal}.`,
  );
}

function checkLastEventId({ lastEventId }: SseStreamOptions, owner: string | undefined): void {
  if (lastEventId === undefined) return;
  if (typeof lastEventId === 'string' && !/[\0\r\n]/.test(lastEventId)) return;
  throw inputError(
    'ERR_SSE_INVALID_OPTION',
    `ssekit: ${fieldName(owner, 'lastEventId')} must be a string without NUL, CR or LF (an id as a client sends it), got ${typeof lastEventId === 'string' ? JSON.stringify(lastEventId) : typeof lastEventId}.`,
  );
}

function checkPolicy({ onOverflow }: SseStreamOptions, owner: string | undefined): OverflowPolicy {
  if (onOverflow === undefined) return 'close';
  if (onOverflow !== 'close' && onOverflow !== 'drop') {
    const name = fieldName(owner, 'onOverflow');
    throw inputError(
      'ERR_SSE_INVALID_OPTION',
      `ssekit: ${name} must be 'close' or 'drop', got ${String(onOverflow)}.`,
    );
  }
  return onOverflow;
}
