/**
 * Whether a route has begun an answer that Express finishes later. `res.headersSent` is not
 * enough: `res.sendFile()` and `res.render()` send nothing until their I/O ends, and a stream
 * piped into `res` nothing until its first chunk, so a route that read `res.sse` and then
 * answered that way would otherwise get its kept stream opened in place of the answer.
 */
import { noteCalls } from '@ssekit/core/adapter';
import type { Response } from 'express';

/** Notes calls of `res.sendFile` and `res.render`; the returned check also sees pipes and statuses. */
export function noteAnswerUnderway(res: Response): () => boolean {
  const called = noteCalls(res, ['sendFile', 'render']);
  return () =>
    called() || res.headersSent || res.statusCode !== 200 || res.listenerCount('unpipe') > 0;
}
