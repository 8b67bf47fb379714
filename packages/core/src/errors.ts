/**
 * The errors ssekit throws or rejects with, each carrying a stable `code` a program can branch
 * on while the message stays written for people. Bad input is a `TypeError` (Node's convention)
 * with one of the input codes; everything else is a {@link SsekitError}. docs/errors.md says,
 * for each code, when it happens and what to do.
 */

/** The codes of bad input: always on a `TypeError`, thrown where the call is made. */
export type SsekitInputErrorCode =
  /** A message field that could break the stream or that no client reads (`event` with a line break, an unknown key). */
  | 'ERR_SSE_INVALID_FIELD'
  /** An option value out of range or of the wrong type. */
  | 'ERR_SSE_INVALID_OPTION'
  /** An option key no layer knows: a misspelling. */
  | 'ERR_SSE_UNKNOWN_OPTION'
  /** An argument of the wrong shape: a topic, an id, a pipe source, an options object. */
  | 'ERR_SSE_INVALID_ARGUMENT'
  /** A second reader for a stream: a stream has exactly one. */
  | 'ERR_SSE_READER_ATTACHED'
  /** A stream opened on a response that was already sent. */
  | 'ERR_SSE_HEADERS_SENT'
  /** `reply.sse` read on a Fastify route declared without the `sse` option. */
  | 'ERR_SSE_ROUTE_NOT_SSE'
  /** A second subscription of a stream to a topic, with another filter. */
  | 'ERR_SSE_FILTER_CONFLICT';

/** The codes of {@link SsekitError}: what went wrong at run time, not in the call. */
export type SsekitRuntimeErrorCode =
  /** A client was cut off for leaving more than `maxBufferedBytes` unread (`onOverflow: 'close'`). */
  | 'ERR_SSE_OVERFLOW'
  /** `hub.publish` after `hub.close()`. */
  | 'ERR_SSE_HUB_CLOSED'
  /** A broker's `publish` after the broker was closed. */
  | 'ERR_SSE_BROKER_CLOSED'
  /** The broker's store (Redis) is down or reconnecting: nothing was stored or delivered. */
  | 'ERR_SSE_BROKER_UNAVAILABLE'
  /** The store refused to keep the event: nothing was stored. */
  | 'ERR_SSE_PUBLISH_REFUSED'
  /** The store did not answer: the event may or may not have been stored. */
  | 'ERR_SSE_PUBLISH_UNCERTAIN'
  /** A replay could not be served now; the stream closes and the client resumes later. */
  | 'ERR_SSE_REPLAY_UNAVAILABLE'
  /** The store answered in a shape ssekit does not know (a version or a proxy in the way). */
  | 'ERR_SSE_UNEXPECTED_REPLY';

/** Every code an error of ssekit carries. Stable: a code is never reused for another meaning. */
export type SsekitErrorCode = SsekitInputErrorCode | SsekitRuntimeErrorCode;

/** A bad-input error: a `TypeError` with its code. */
export type SsekitInputError = TypeError & { readonly code: SsekitInputErrorCode };

/** @internal What every copy of the class answers `true` to, on its prototype. */
const SSEKIT_ERROR = Symbol.for('ssekit.error');

/**
 * An error ssekit throws or rejects with at run time (bad input is a `TypeError` with a `code`
 * instead). Branch on `code`; the message says what happened, what was not done and what to do.
 * `instanceof SsekitError` holds for an error of any copy of `@ssekit/core`: an app that imports
 * the ES module while a package it uses requires the CommonJS build has two copies of the class.
 */
export class SsekitError extends Error {
  /** Stable across releases; see docs/errors.md. */
  readonly code: SsekitRuntimeErrorCode;

  constructor(code: SsekitRuntimeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SsekitError';
    this.code = code;
  }

  /** @internal */
  get [SSEKIT_ERROR](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [SSEKIT_ERROR]?: unknown })[SSEKIT_ERROR] === true
    );
  }
}

/** @internal The `TypeError` of bad input, carrying `code`. */
export function inputError(
  code: SsekitInputErrorCode,
  message: string,
  options?: ErrorOptions,
): SsekitInputError {
  return Object.assign(new TypeError(message, options), { code });
}
