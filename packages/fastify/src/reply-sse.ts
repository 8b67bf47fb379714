/** `reply.sse`: the getter every reply has, and where a `{ sse: true }` route keeps its stream. */
import { LazySseStream } from '@ssekit/core/adapter';
import type { FastifyReply } from 'fastify';
import type { ReplyStream } from './reply-stream.js';

/** Where a reply of a `{ sse: true }` route keeps its stream; `null` on every other route. */
export const REPLY_STREAM = Symbol('ssekit.replyStream');

export interface ReplyWithStream {
  [REPLY_STREAM]: ReplyStream | null;
}

/** The getter of `reply.sse`: the route's handle (opening nothing), or how to get one. */
export function replySse(this: FastifyReply): LazySseStream {
  const stream = (this as unknown as ReplyWithStream)[REPLY_STREAM];
  if (stream === null) {
    const { method, routeOptions, url } = this.request;
    const where = `${method} ${routeOptions.url ?? url}`;
    const message = (routeOptions.config as RouteMark | undefined)?.[SSE_ROUTE]
      ? `ssekit: reply.sse was read on ${where} before its handler ran (in a hook). The stream of a { sse: true } route is its handler's: read reply.sse there.`
      : `ssekit: reply.sse was read on ${where}, a route without the sse option (or one declared before app.register(sse), which the plugin does not see), so no stream was opened. Declare the route with { sse: true } after registering the plugin: app.get(path, { sse: true }, handler).`;
    throw Object.assign(new TypeError(message), { code: 'ERR_SSE_ROUTE_NOT_SSE' });
  }
  LazySseStream.markRead(stream);
  return stream;
}

/** Set in the config of each `{ sse: true }` route, so that the getter can tell a hook from a plain route. */
export const SSE_ROUTE = Symbol('ssekit.sseRoute');

export interface RouteMark {
  [SSE_ROUTE]?: true;
}
