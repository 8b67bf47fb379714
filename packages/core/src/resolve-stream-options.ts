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
 * Checks `options` as every stream created with them will, and returns the stream's options
 * alone: the keys of {@link SSE_STREAM_OPTION_KEYS}, without the layer's own (`ownKeys`, such as
 * `onError`), which the layer reads from `options` itself. `where` names the layer in errors
 * (`'sse'`, `'@ssekit/fastify'`).
 * @throws {TypeError} naming the option and the fix: a key neither list knows (with its likely
 * spelling), or a value out of range.
 */
export function resolveStreamOptions(
  options: SseStreamOptions,
  where: string,
  ownKeys: readonly string[] = [],
): SseStreamOptions {
  if (typeof options !== 'object' || options === null) {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: ${where} takes an options object, got ${options === null ? 'null' : typeof options}; pass { heartbeat, retry, ... } or nothing.`,
    );
  }
  checkKnownKeys(where, options, [...SSE_STREAM_OPTION_KEYS, ...ownKeys]);
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
