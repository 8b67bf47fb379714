/**
 * The options of `createClient`, checked once at creation: a misspelled key or a wrong value is
 * a TypeError naming the option and the fix, before any request is made.
 */
import type { HubSignals } from '@ssekit/core';
import type { SseClientError } from './errors.js';
import type { ConnectionMode } from './host.js';

/** Request headers, or a function giving them, run before every connect (a fresh token). */
export type HeadersSource = HeadersInit | (() => HeadersInit | Promise<HeadersInit>);

/** Options of `createClient`. Every field is optional. */
export interface ClientOptions {
  /** HTTP method. Default `GET`. */
  method?: string;
  /** Request body, sent on every connect (see `retryWithBody`). Not a stream: it is resent. */
  body?: string | Blob | ArrayBuffer | ArrayBufferView<ArrayBuffer> | FormData | URLSearchParams;
  /** Headers, or a (sync or async) function run before every connect. */
  headers?: HeadersSource;
  /** `fetch`'s credentials mode. Default `same-origin`. */
  credentials?: RequestCredentials;
  /** The `fetch` to use. Default the global one. */
  fetch?: typeof fetch;
  /** Turns an event's `data` into its payload. Default `JSON.parse`. */
  decode?: (data: string, event: string) => unknown;
  /** The id to resume after on the first connect (sent as `Last-Event-ID`). */
  lastEventId?: string;
  /** `'session'`: keep the last id in sessionStorage, so a page reload resumes from it. */
  resume?: 'session';
  /** Base of the reconnect backoff in ms, until the server sends `retry:`. Default 1000. */
  retryDelay?: number;
  /** Cap of the reconnect backoff in ms (at most 2^31 - 1, setTimeout's limit). Default 30000. */
  maxRetryDelay?: number;
  /** Resend `body` on reconnect even when the server sent no ids. Default false. */
  retryWithBody?: boolean;
  /** The server's heartbeat interval in ms, or `false` when it sends none. Default 15000. */
  heartbeat?: number | false;
  /** Reconnect after this many heartbeat intervals without a byte. Default 2. */
  missedHeartbeats?: number;
  /** Close when one event (its lines and data) passes this many characters. Default 1048576. */
  maxEventSize?: number;
  /**
   * How to connect, when not once per client: `shareAcrossTabs()` or `pauseWhenHidden(ms)` from
   * `@ssekit/client/tabs` (a separate entry, so a client without them does not carry them).
   */
  connection?: ConnectionMode;
  /** Closes the client when aborted. */
  signal?: AbortSignal;
  /** 401 or 403: refresh credentials here; return true to retry once with fresh headers. */
  onUnauthorized?: (response: Response) => boolean | undefined | Promise<boolean | undefined>;
  /** The hub lost this client's position: refetch your state. `reason` says why. */
  onReset?: (reason: HubSignals['ssekit:reset']) => void;
  /**
   * The hub's `authorize` refused `topic` to this client: it gets nothing of that topic. A stream
   * left with no topic is closed by the hub and reconnected after its retry hint; close the
   * client here when access will not come back.
   */
  onDenied?: (topic: string) => void;
  /** What went wrong: a skipped event, a failed handler, or the reason the client closed. */
  onError?: (error: SseClientError) => void;
}

/** What the client reads from {@link ClientOptions}, defaults applied. */
export interface ResolvedOptions extends ClientOptions {
  url: string;
  /** What every request is made with, besides its headers and signal. */
  init: RequestInit;
  retryDelay: number;
  maxRetryDelay: number;
  /** Milliseconds of silence after which the connection is taken for dead; 0: never. */
  silenceLimit: number;
  maxEventSize: number;
}

/**
 * What each option must be: the `typeof` of its value, a number its default (a positive whole
 * number), `any` whatever fetch takes. One table, so that a key is known exactly when it is checked.
 */
const KINDS: Record<keyof ClientOptions, 'function' | 'string' | 'any' | number> = {
  method: 'any',
  body: 'any',
  headers: 'any',
  credentials: 'any',
  fetch: 'function',
  decode: 'function',
  lastEventId: 'string',
  resume: 'any',
  retryDelay: 1000,
  maxRetryDelay: 30_000,
  retryWithBody: 'any',
  heartbeat: 15_000,
  missedHeartbeats: 2,
  maxEventSize: 1_048_576,
  connection: 'function',
  signal: 'any',
  onUnauthorized: 'function',
  onReset: 'function',
  onDenied: 'function',
  onError: 'function',
};

/** setTimeout's limit (24.8 days): a longer delay fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The TypeError of a bad argument: `field` of `where` (`createClient` or a helper), and the fix. */
export function invalid(
  field: string,
  value: unknown,
  fix: string,
  code = 'ERR_SSE_INVALID_OPTION',
  where = 'createClient',
) {
  const shown = typeof value === 'string' ? JSON.stringify(value) : value;
  // One period at the end, also after a shown error whose message has its own.
  const message = `ssekit/client: ${where} "${field}" ${fix}, got ${shown}`.replace(/\.?$/, '.');
  return Object.assign(new TypeError(message), { code });
}

/**
 * An id as the `Last-Event-ID` header carries it. A header value is bytes: the id goes as UTF-8,
 * one character a byte, as EventSource sends it and servers decode it (fetch refuses a character
 * above U+00FF outright, which would fail every reconnect). Not a spread of the bytes into
 * String.fromCharCode: an id of some hundred KB passes the engines' limit on arguments.
 */
export const headerValue = (id: string) => unescape(encodeURIComponent(id));

/** The absolute http(s) URL of `url`, relative to the page when there is one. */
function resolveUrl(url: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(String(url), globalThis.location?.href);
  } catch {}
  if (typeof url !== 'string' || !/^https?:$/.test(parsed?.protocol ?? '')) {
    throw invalid('url', url, 'must be an http(s) URL (or a path on the page)');
  }
  return String(parsed);
}

/**
 * Checks `options` and applies the defaults.
 * @throws {TypeError} naming the unknown key or the invalid value, and the fix.
 */
export function resolveOptions(url: unknown, options: ClientOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('options', options, 'must be an object');
  }
  const known = Object.keys(KINDS);
  const numbers = { ...KINDS } as Record<string, number>;
  for (const [key, value] of Object.entries(options)) {
    // The table's own keys: `constructor` or `toString` is no option either.
    if (!known.includes(key)) {
      throw invalid(
        key,
        'a key',
        `is not an option (known: ${known.join(', ')})`,
        'ERR_SSE_UNKNOWN_OPTION',
      );
    }
    const kind = KINDS[key as keyof ClientOptions];
    if (value === undefined || kind === 'any' || (key === 'heartbeat' && value === false)) continue;
    const typed = typeof kind === 'string';
    if (typed ? typeof value !== kind : !(Number.isSafeInteger(value) && value > 0)) {
      throw invalid(key, value, typed ? `must be a ${kind}` : 'must be a positive whole number');
    }
    numbers[key] = value;
  }
  const { resume, lastEventId, headers } = options;
  if (resume !== undefined && resume !== 'session') {
    throw invalid('resume', resume, "must be 'session' (or omitted)");
  }
  const href = resolveUrl(url);
  const init: RequestInit = {
    method: (options.method ?? 'GET').toUpperCase(),
    body: options.body,
    credentials: options.credentials,
    cache: 'no-store',
  };
  // What fetch would refuse at every connect (a line break in a header or in lastEventId, a bad
  // method or credentials mode, a body with GET), refused here once, not retried in silence.
  // Headers from a function are for fetch to check at each connect; with its own fetch, the app
  // decides what a request may be (the headers are built here all the same).
  let field = 'headers';
  try {
    const request = new Headers(typeof headers === 'function' ? undefined : headers);
    field = 'lastEventId';
    request.set('Last-Event-ID', headerValue(lastEventId ?? ''));
    field = 'request';
    if (!options.fetch) new Request(href, init);
  } catch (cause) {
    throw invalid(field, cause, 'is refused by fetch');
  }
  return {
    ...options,
    url: href,
    init,
    retryDelay: numbers.retryDelay as number,
    // Capped: a longer timer would fire at once and turn the backoff or the watchdog into a
    // reconnect loop.
    maxRetryDelay: Math.min(MAX_TIMER_MS, numbers.maxRetryDelay as number),
    silenceLimit:
      options.heartbeat === false
        ? 0
        : Math.min(
            MAX_TIMER_MS,
            (numbers.heartbeat as number) * (numbers.missedHeartbeats as number),
          ),
    maxEventSize: numbers.maxEventSize as number,
  };
}
