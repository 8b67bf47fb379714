/**
 * The plugin: `reply.sse` on every reply, and an `onRoute` hook that gives each route declared
 * with the `sse` option its stream and its error handling. Wrapped with fastify-plugin, so the
 * decorator and the hook reach the routes of the scope that registers it.
 */
import type { SseStreamOptions } from '@ssekit/core';
import { optionalFunction, resolveStreamOptions } from '@ssekit/core/adapter';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { REPLY_STREAM, replySse, SSE_ROUTE } from './reply-sse.js';
import { type ErrorReporter, type Handler, streamingHandler } from './route-handler.js';

/** Options of the plugin, and of a route's `sse` option (which takes precedence). */
export interface SseOptions extends SseStreamOptions {
  /**
   * Receives what a route threw or rejected with after its stream opened (the stream is closed
   * by then). Default: `request.log.error`, Fastify's own logger for the request.
   */
  onError?: (error: unknown, request: FastifyRequest) => void;
}

const logError: ErrorReporter = (error, request) => {
  request.log.error(
    { err: error },
    'ssekit: the route failed after its event stream opened; the stream was closed.',
  );
};

// Async, so that an invalid option rejects app.register() instead of escaping avvio uncaught.
const plugin: FastifyPluginAsync<SseOptions> = async (app, options) => {
  const defaults = validated(options);
  app.decorateReply(REPLY_STREAM, null);
  app.decorateReply('sse', { getter: replySse });
  app.addHook('onRoute', (route) => {
    if (route.sse === undefined || route.sse === false) return;
    checkRouteOption(route.sse, route.url);
    const { onError = logError, ...streamOptions } =
      route.sse === true
        ? defaults
        : validated({ ...defaults, ...route.sse }, '@ssekit/fastify route "sse"', ['onError']);
    route.handler = streamingHandler(route.handler as Handler, streamOptions, onError);
    route.config = { ...route.config, [SSE_ROUTE]: true };
  });
};

/**
 * The Fastify plugin: `await app.register(sse, options)`, then declare streaming routes with
 * `{ sse: true }` (or `{ sse: { ...options } }`) and use `reply.sse` in them. Reading it opens
 * nothing; the stream opens at its first use (status 200 and the headers go out, Fastify stops
 * answering this request), so a route may still answer 401 with `reply.code(401).send(...)`.
 */
export const sse = fastifyPlugin(plugin, { fastify: '5.x', name: '@ssekit/fastify' });

/** Besides the stream's options: `onError`, and the keys Fastify's register() passes to every plugin. */
const FASTIFY_OPTION_KEYS: readonly string[] = ['onError', 'prefix', 'logLevel', 'logSerializers'];

/**
 * Throws at startup, not at the first client, on an invalid option. Fastify hands register()'s
 * own options to the plugin too (`ownKeys`); a route's `sse` option takes `onError` alone.
 */
function validated(
  options: SseOptions,
  where = '@ssekit/fastify',
  ownKeys = FASTIFY_OPTION_KEYS,
): SseOptions {
  const streamOptions: SseOptions = resolveStreamOptions(options, where, ownKeys);
  const onError = optionalFunction(where, 'onError', options.onError, '(error, request) => void');
  if (onError !== undefined) streamOptions.onError = onError;
  return streamOptions;
}

/** A route's `sse` option is `true`, `false` or an options object; any other value is a mistake. */
function checkRouteOption(value: unknown, url: string): void {
  if (value === true || (typeof value === 'object' && value !== null && !Array.isArray(value))) {
    return;
  }
  const shown =
    typeof value === 'string'
      ? JSON.stringify(value)
      : Array.isArray(value)
        ? 'an array'
        : typeof value === 'function'
          ? 'a function'
          : String(value);
  throw Object.assign(
    new TypeError(
      `ssekit: @ssekit/fastify route ${url} "sse" takes true, false or an options object, got ${shown}; use { sse: true } or { sse: { heartbeat, retry, ... } }.`,
    ),
    { code: 'ERR_SSE_INVALID_OPTION' },
  );
}
