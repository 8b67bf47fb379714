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
    throw Object.assign(
      new TypeError(
        `ssekit: reply.sse was read on ${this.request.method} ${this.request.routeOptions.url ?? this.request.url}, a route without the sse option, so no stream was opened. Declare the route with { sse: true }: app.get(path, { sse: true }, handler).`,
      ),
      { code: 'ERR_SSE_ROUTE_NOT_SSE' },
    );
  }
  LazySseStream.markRead(stream);
  return stream;
}
