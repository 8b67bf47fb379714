/**
 * The one error type a client reports, with a stable `code` per cause, so an app can tell an
 * expired session from a server that sent the wrong thing without parsing messages.
 */

/** Why a client stopped, or what it skipped. See the package README for each code. */
export type SseClientErrorCode =
  /** 401 or 403, and `onUnauthorized` did not fix it: the client closed. */
  | 'ERR_SSE_UNAUTHORIZED'
  /** A status that retrying cannot fix (404, 400, ...): the client closed. */
  | 'ERR_SSE_HTTP_STATUS'
  /** A 2xx response that is not `text/event-stream`: the client closed. */
  | 'ERR_SSE_NOT_EVENT_STREAM'
  /** One event (or one line) grew past `maxEventSize`: the client closed. */
  | 'ERR_SSE_EVENT_TOO_LARGE'
  /** A request with a body lost its stream, and resending it was not safe: the client closed. */
  | 'ERR_SSE_CONNECTION_LOST'
  /** An event's data could not be decoded: that event was skipped, the stream goes on. */
  | 'ERR_SSE_DECODE'
  /** A handler threw: reported, the other handlers and the stream go on. */
  | 'ERR_SSE_HANDLER';

/** What a client reports through `onError`, `client.error` and a throwing `for await`. */
export class SseClientError extends Error {
  override readonly name = 'SseClientError';
  declare readonly code: SseClientErrorCode;
  /** The HTTP status, for the errors a response caused. */
  declare readonly status: number | undefined;

  /** `message` is prefixed with `ssekit/client: `. */
  constructor(
    code: SseClientErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    // Error takes `cause` from the options (and leaves `status`).
    super(`ssekit/client: ${message}`, options);
    this.code = code;
    this.status = options.status;
  }
}
