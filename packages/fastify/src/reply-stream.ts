/**
 * A reply's event stream, opened at its first use: the core's lazy Node stream,
 * plus what Fastify needs when it opens. The stream, its headers, HEAD and `Accept` answers all
 * come from `@ssekit/core/adapter`; this file only hands Fastify's reply over to it.
 */
import type { SseStreamOptions } from '@ssekit/core';
import { LazySseStream } from '@ssekit/core/adapter';
import type { FastifyReply, FastifyRequest } from 'fastify';

export class ReplyStream extends LazySseStream {
  readonly #reply: FastifyReply;

  constructor(request: FastifyRequest, reply: FastifyReply, options: SseStreamOptions) {
    super(request.raw, reply.raw, options, 'reply.sse');
    this.#reply = reply;
  }

  override open(): ReturnType<LazySseStream['open']> {
    if (this.opened === undefined && !this.#reply.raw.headersSent) carryHeaders(this.#reply);
    return super.open();
  }

  // Fastify must not answer this request itself: after hijack() it sends nothing, runs no onSend
  // hook and leaves a handler's resolved promise alone; the bytes go straight to reply.raw.
  protected override opening(): void {
    this.#reply.hijack();
  }
}

/**
 * Headers set with `reply.header()` (by the route, or by hooks such as @fastify/cors) live on the
 * reply until Fastify sends it, which it no longer will: they are moved onto the raw response,
 * where the event-stream headers join them.
 */
function carryHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value);
  }
}
