/**
 * The handler of a `{ sse: true }` route: the user's handler, given a `reply.sse` of its own,
 * with its failures sent where they belong. Before the stream opened, Fastify answers them as
 * usual (its error handler, its 500); after, Fastify has nothing left to answer with, so the
 * stream closes and the error goes to `onError`.
 */
import type { SseStreamOptions } from '@ssekit/core';
import { isPromiseLike, LazySseStream, noteCalls } from '@ssekit/core/adapter';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REPLY_STREAM, type ReplyWithStream } from './reply-sse.js';
import { ReplyStream } from './reply-stream.js';

/** A route handler as Fastify calls it. */
export type Handler = (
  this: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
) => unknown;

/** Reports what a route threw after its stream opened. */
export type ErrorReporter = (error: unknown, request: FastifyRequest) => void;

/** `handler` with a `reply.sse` of its own on each request. */
export function streamingHandler(
  handler: Handler,
  options: SseStreamOptions,
  onError: ErrorReporter,
): Handler {
  return function sseRoute(request, reply) {
    const stream = new ReplyStream(request, reply, options);
    (reply as unknown as ReplyWithStream)[REPLY_STREAM] = stream;
    const answered = noteAnswer(reply);
    const fail = (error: unknown): undefined => {
      const opened = stream.opened;
      if (opened === undefined) throw error;
      opened.close();
      onError(error, request);
    };
    try {
      const result = handler.call(this, request, reply);
      if (!isPromiseLike(result)) return result;
      return Promise.resolve(result).then((value) => {
        // Fastify answers a route that resolves with nothing; one that kept reply.sse streams.
        if (value === undefined) LazySseStream.openIfKept(stream, answered());
        return value;
      }, fail);
    } catch (error) {
      return fail(error);
    }
  };
}

/**
 * Whether the route answered with `reply.send()`. `reply.sent` is not enough: it stays false
 * while async `preSerialization` and `onSend` hooks (compression, for one) run, and a kept stream
 * opened then would take the place of the route's own answer, such as a 401.
 */
function noteAnswer(reply: FastifyReply): () => boolean {
  const sent = noteCalls(reply, ['send']);
  return () => sent() || reply.sent;
}
