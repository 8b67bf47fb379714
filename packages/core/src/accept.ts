import { inputError } from './errors.js';
/**
 * Which requests get an event stream: the one decision every entry point (the fetch entry, the
 * Node bridge and through them every adapter) takes before opening a stream, so that all of them
 * answer the same request the same way.
 *
 * A stream goes to every request that accepts `text/event-stream`: by name, through a wildcard
 * (`text/*`, or any type), or by sending no `Accept` at all (curl and many HTTP clients;
 * `EventSource` names the type).
 * Only an explicit refusal (`Accept: application/json`, `text/event-stream;q=0`) gets 406. A HEAD
 * request gets the stream's headers and no stream: nothing would ever read it.
 */

/** How an event-stream endpoint answers one request. */
export type EventStreamAnswer =
  /** Open the stream. */
  | 'stream'
  /** HEAD: status 200 and the stream's headers, no body, no stream. */
  | 'headers'
  /** The client refused `text/event-stream`: 406 with {@link NOT_ACCEPTABLE_TEXT}. */
  | 'not-acceptable';

/** The content type of the 406 answer. */
export const NOT_ACCEPTABLE_TYPE = 'text/plain; charset=utf-8';

/** The body of the 406 answer (`text/plain`): what happened and what to send instead. */
export const NOT_ACCEPTABLE_TEXT =
  'Not Acceptable: this URL sends only text/event-stream, which the Accept header refused. ' +
  'Send "Accept: text/event-stream" (EventSource does), or no Accept header.\n';

/**
 * Decides how an event-stream endpoint answers a request with this method and `Accept` value.
 * Any method but HEAD may stream (some clients POST a prompt and read the answer as SSE).
 */
export function eventStreamAnswer(
  method: string | undefined,
  accept: string | null | undefined,
): EventStreamAnswer {
  if (!acceptsEventStream(accept)) return 'not-acceptable';
  return method?.toUpperCase() === 'HEAD' ? 'headers' : 'stream';
}

/**
 * `true` unless an `Accept` header value explicitly refuses `text/event-stream`: the most
 * specific range that matches it (`text/event-stream`, else `text/*`, else the any-type wildcard)
 * decides, and a `q` of 0 or no matching range at all refuses. An absent or empty header accepts; ranges that
 * cannot be parsed are ignored. Use it to serve something else (JSON, a page) on an SSE route
 * before opening the stream. Every adapter exports this same function: pass the header's value
 * (`req.headers.accept`, `ctx.get('accept')`, `request.headers.get('accept')`), not the request.
 * @throws {TypeError} when given something other than a string, `null` or `undefined`.
 */
export function acceptsEventStream(accept: string | null | undefined): boolean {
  if (accept === undefined || accept === null) return true;
  if (typeof accept !== 'string') {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: acceptsEventStream takes the Accept header's value, got ${typeof accept}; pass req.headers.accept (Node, Express, Fastify), ctx.get('accept') (Koa) or request.headers.get('accept') (fetch).`,
    );
  }
  let best: { specificity: number; quality: number } | undefined;
  let sawRange = false;
  for (const part of accept.split(',')) {
    const range = parseRange(part);
    if (range === undefined) continue;
    sawRange = true;
    const specificity = specificityFor(range.type);
    if (specificity === undefined) continue;
    if (
      best === undefined ||
      specificity > best.specificity ||
      (specificity === best.specificity && range.quality > best.quality)
    ) {
      best = { specificity, quality: range.quality };
    }
  }
  if (!sawRange) return true;
  return best !== undefined && best.quality > 0;
}

interface MediaRange {
  type: string;
  quality: number;
}

/** One `type/subtype;param=value;q=x` element, or `undefined` when it is not one. */
function parseRange(part: string): MediaRange | undefined {
  const [typePart = '', ...params] = part.split(';');
  const type = typePart.trim().toLowerCase();
  if (!/^[^\s/]+\/[^\s/]+$/.test(type)) return undefined;
  let quality = 1;
  for (const param of params) {
    const [name = '', value = ''] = param.split('=');
    if (name.trim().toLowerCase() !== 'q') continue;
    quality = Number(value.trim());
    if (value.trim() === '' || !(quality >= 0 && quality <= 1)) return undefined;
  }
  return { type, quality };
}

/** How precisely a media range names `text/event-stream`; `undefined` when it does not match. */
function specificityFor(type: string): number | undefined {
  if (type === 'text/event-stream') return 2;
  if (type === 'text/*') return 1;
  if (type === '*/*') return 0;
  return undefined;
}
