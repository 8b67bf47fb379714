/**
 * Whether a route has begun an answer that Express finishes later. `res.headersSent` is not
 * enough: `res.sendFile()` and `res.render()` send nothing until their I/O ends, and a stream
 * piped into `res` nothing until its first chunk, so a route that read `res.sse` and then
 * answered that way would otherwise get its kept stream opened in place of the answer.
 */
import type { Response } from 'express';

type AnsweringMethod = 'sendFile' | 'render';

/** Notes calls of `res.sendFile` and `res.render`; the returned check also sees pipes and statuses. */
export function noteAnswerUnderway(res: Response): () => boolean {
  let called = false;
  for (const name of ['sendFile', 'render'] as const satisfies readonly AnsweringMethod[]) {
    const method = res[name] as (...args: unknown[]) => void;
    if (typeof method !== 'function') continue;
    (res as unknown as Record<AnsweringMethod, unknown>)[name] = function noted(
      this: Response,
      ...args: unknown[]
    ) {
      called = true;
      return method.apply(this, args);
    };
  }
  return () =>
    called || res.headersSent || res.statusCode !== 200 || res.listenerCount('unpipe') > 0;
}
