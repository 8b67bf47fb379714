import { inputError } from './errors.js';
/**
 * The response headers of an event stream. `Connection` and `Transfer-Encoding` are never set:
 * both are forbidden in HTTP/2 and the server adds what HTTP/1.1 needs.
 */
/** The default headers as one shared frozen record, for `ServerResponse.writeHead`. */
export const DEFAULT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
});

const FORBIDDEN = new Map([
  ...['connection', 'transfer-encoding', 'keep-alive', 'upgrade'].map(
    (name) => [name, 'it breaks HTTP/2'] as const,
  ),
  ['content-length', 'a stream has no length: the response would be cut short'] as const,
]);

/**
 * The event-stream headers, with the user's extra headers applied on top.
 * @throws {TypeError} when `extra` holds a hop-by-hop header that breaks HTTP/2.
 */
export function sseHeaders(extra?: HeadersInit): Headers {
  const headers = new Headers(DEFAULT_HEADERS);
  if (extra === undefined) return headers;
  new Headers(extra).forEach((value, name) => {
    const reason = FORBIDDEN.get(name);
    if (reason !== undefined) {
      throw inputError(
        'ERR_SSE_INVALID_OPTION',
        `ssekit: the header "${name}" must not be set on an event stream (${reason}); remove it from "headers".`,
      );
    }
    headers.set(name, value);
  });
  return headers;
}
