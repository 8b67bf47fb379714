/**
 * Which requests get a stream: the one documented behaviour every entry point must show,
 * as a table of `Accept` values and the answer each gets. The conformance suite runs it on
 * every server factory; the adapters' own tests reuse it for their other forms.
 */

/** What a request gets: the stream, or 406 and no stream. */
export type Admission = 'stream' | 'not acceptable';

export interface AcceptCase {
  /** The `Accept` header sent; `undefined` sends none. */
  accept: string | undefined;
  answer: Admission;
  /** Who sends it. */
  who: string;
}

export const ACCEPT_CASES: readonly AcceptCase[] = [
  { accept: undefined, answer: 'stream', who: 'curl, most HTTP clients' },
  { accept: 'text/event-stream', answer: 'stream', who: 'EventSource' },
  { accept: '*/*', answer: 'stream', who: "fetch's default, curl" },
  { accept: 'text/*', answer: 'stream', who: 'a client taking any text' },
  {
    accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    answer: 'stream',
    who: 'a browser opening the URL',
  },
  { accept: 'Text/Event-Stream; charset=utf-8', answer: 'stream', who: 'odd casing, a parameter' },
  {
    accept: 'application/json, text/event-stream;q=0.5',
    answer: 'stream',
    who: 'a client preferring JSON',
  },
  { accept: 'application/json', answer: 'not acceptable', who: 'a JSON API client' },
  { accept: 'text/html', answer: 'not acceptable', who: 'a client taking only HTML' },
  {
    accept: 'text/event-stream;q=0, */*',
    answer: 'not acceptable',
    who: 'an explicit refusal of SSE',
  },
  { accept: '*/*;q=0', answer: 'not acceptable', who: 'a client refusing everything' },
];

/** What the 406 answer's body must tell the client: the header to send. */
export const NOT_ACCEPTABLE_HINT = /Accept: text\/event-stream/;
