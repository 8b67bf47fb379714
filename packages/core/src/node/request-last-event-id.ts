import { readLastEventId } from '../last-event-id.js';
import type { NodeRequestLike } from './types.js';

/**
 * The id a Node request resumes from: `options.lastEventId` when the route set one, else the
 * `Last-Event-ID` header (re-decoded from latin1 to UTF-8) or the `lastEventId` query parameter.
 */
export function requestLastEventId(
  req: NodeRequestLike,
  lastEventId: string | undefined,
): string | undefined {
  return lastEventId ?? readLastEventId(headerValue(req.headers['last-event-id']), req.url);
}

/** The first value of a header Node may hand over as a list. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
