/**
 * Checking a layer's stream options once, where the layer is set up (a middleware, a plugin, a
 * handler, `createSseResponse`), so that a bad value fails at startup rather than at the first
 * client, and without creating (and closing) a stream to find out.
 */

import { checkKnownKeys, optionalFunction } from './checks.js';
import { inputError } from './errors.js';
import { sseHeaders } from './headers.js';
import {
  checkStreamLimits,
  SSE_STREAM_OPTION_KEYS,
  type SseStreamOptions,
} from './stream-options.js';

/**
 * Whom the options serve: every connection of a route (a middleware, a plugin, a handler made
 * once), or the one connection being answered (`createSseResponse`, called per request).
 */
export type OptionScope = 'every connection' | 'one connection';

/**
 * Options that belong to one connection. Set once for every connection of a route, a signal
 * would close them all at once and for good, and one `Last-Event-ID` would replace what each
 * client sent, so that a resuming client skips what it missed.
 */
const CONNECTION_KEYS = {
  signal: 'ssekit closes each stream when its client leaves',
  lastEventId: "ssekit reads each client's Last-Event-ID",
} as const;

function checkNoConnectionKeys(options: SseStreamOptions, where: string): void {
  for (const [key, why] of Object.entries(CONNECTION_KEYS)) {
    if (options[key as keyof typeof CONNECTION_KEYS] === undefined) continue;
    throw inputError(
      'ERR_SSE_INVALID_OPTION',
      `ssekit: ${where} "${key}" belongs to one connection, and these options serve every connection of the route; leave it out: ${why}.`,
    );
  }
}

/**
 * Checks `options` as every stream created with them will, and returns the stream's options
 * alone: the keys of {@link SSE_STREAM_OPTION_KEYS}, without the layer's own (`ownKeys`, such as
 * `onError`), which the layer reads from `options` itself. `where` names the layer in errors
 * (`'sse'`, `'@ssekit/fastify'`); `scope`, whom they serve.
 * @throws {TypeError} naming the option and the fix: a key neither list knows (with its likely
 * spelling), a value out of range, or a connection's own option for every connection.
 */
export function resolveStreamOptions(
  options: SseStreamOptions,
  where: string,
  ownKeys: readonly string[] = [],
  scope: OptionScope = 'every connection',
): SseStreamOptions {
  if (typeof options !== 'object' || options === null) {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: ${where} takes an options object, got ${options === null ? 'null' : typeof options}; pass { heartbeat, retry, ... } or nothing.`,
    );
  }
  checkKnownKeys(where, options, [...SSE_STREAM_OPTION_KEYS, ...ownKeys]);
  if (scope === 'every connection') checkNoConnectionKeys(options, where);
  const resolved: Record<string, unknown> = {};
  for (const key of SSE_STREAM_OPTION_KEYS) {
    if (options[key] !== undefined) resolved[key] = options[key];
  }
  checkValues(resolved as SseStreamOptions, where);
  return resolved as SseStreamOptions;
}

function checkValues(options: SseStreamOptions, where: string): void {
  checkStreamLimits(options, where);
  if (options.headers !== undefined) sseHeaders(options.headers);
  optionalFunction(where, 'serializer', options.serializer, '(data) => string');
}
