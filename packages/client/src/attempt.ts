/**
 * One connection: the request (fresh headers, `Last-Event-ID`), what its response means, and its
 * body read through eventsource-parser, with a watchdog that gives up on a silent connection, an
 * end when the browser goes offline, and a cap on what one unfinished event may buffer.
 */
import { createParser } from 'eventsource-parser';
import { SseClientError } from './errors.js';
import type { Host } from './host.js';
import { headerValue } from './options.js';

/** How one connection ended; the reconnect loop decides what comes next. */
export type Outcome =
  /** The server ended the stream: may reconnect. */
  | { kind: 'ended' }
  /** The network failed, the watchdog fired, or the server answered 408, 429 or 5xx: may reconnect. */
  | { kind: 'lost' }
  | { kind: 'unauthorized'; response: Response }
  /** Reconnecting cannot help: close, with the error if there is one. */
  | { kind: 'stop'; error?: SseClientError };

export interface AttemptEvents {
  onOpen(): void;
  /** An event came: the connection worked. */
  onEvent(): void;
  onRetry(ms: number): void;
}

async function requestHeaders(host: Host, signal: AbortSignal): Promise<Headers> {
  const source = host.options.headers;
  // A function is raced with the connection's signal: the watchdog gives up on one that never
  // ends (Promise.race listens to both, so the abort's rejection is always handled).
  const request = new Headers(
    typeof source === 'function'
      ? await Promise.race([
          source(),
          new Promise<never>((_, reject) => signal.addEventListener('abort', reject)),
        ])
      : source,
  );
  request.set('Accept', 'text/event-stream');
  const position = host.position();
  if (position) request.set('Last-Event-ID', headerValue(position));
  return request;
}

/** What a response that is not a stream to read means. */
function classify(response: Response): Outcome | undefined {
  const { status } = response;
  if (status === 401 || status === 403) return { kind: 'unauthorized', response };
  if (status === 204) return { kind: 'stop' };
  if (status === 408 || status === 429 || status >= 500) return { kind: 'lost' };
  const type = response.headers.get('content-type') ?? '';
  if (status >= 200 && status < 300) {
    if (/^text\/event-stream\s*(;|$)/i.test(type)) return undefined;
    const error = new SseClientError(
      'ERR_SSE_NOT_EVENT_STREAM',
      `${response.url} answered ${status} "${type}", not text/event-stream: closed. Is it the SSE endpoint?`,
      { status },
    );
    return { kind: 'stop', error };
  }
  const error = new SseClientError(
    'ERR_SSE_HTTP_STATUS',
    `${response.url} answered ${status}: closed, retrying cannot help.`,
    { status },
  );
  return { kind: 'stop', error };
}

/**
 * Connects once and reads until the stream ends; `signal` aborts it from outside (`close()`, a
 * pause), and then the outcome does not matter: the caller stops on the signal, not on it.
 */
export async function attempt(
  host: Host,
  signal: AbortSignal,
  events: AttemptEvents,
): Promise<Outcome> {
  const { options } = host;
  const connection = new AbortController();
  const abort = () => connection.abort();
  signal.addEventListener('abort', abort);
  // Offline, the connection is as good as gone (and may linger half-open): let it go now; the
  // backoff's wait ends on the `online` event.
  globalThis.addEventListener?.('offline', abort);
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  // Armed before the request too: a server that accepts the socket and never answers is as dead.
  const arm = () => {
    clearTimeout(watchdog);
    if (options.silenceLimit > 0) watchdog = setTimeout(abort, options.silenceLimit);
  };
  let tooLarge = false;
  const parser = createParser({
    // The loop's callbacks are named as the parser's: its onRetry is passed as is.
    ...events,
    maxBufferSize: options.maxEventSize,
    // An `id:` moves the position even in a block without data (which is no event).
    onId: host.moveTo,
    onEvent: (event) => {
      events.onEvent();
      host.receive(event);
    },
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') tooLarge = true;
    },
  });
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    arm();
    const response = await (options.fetch ?? fetch)(options.url, {
      ...options.init,
      headers: await requestHeaders(host, connection.signal),
      signal: connection.signal,
    });
    const outcome = classify(response);
    reader = response.body?.getReader();
    if (outcome !== undefined || reader === undefined) return outcome ?? { kind: 'ended' };
    events.onOpen();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done || signal.aborted) return { kind: 'ended' };
      arm();
      host.alive?.();
      parser.feed(decoder.decode(value, { stream: true }));
      if (tooLarge) {
        const error = new SseClientError(
          'ERR_SSE_EVENT_TOO_LARGE',
          `an event or line passed maxEventSize (${options.maxEventSize} characters): closed. Raise maxEventSize to accept it.`,
        );
        return { kind: 'stop', error };
      }
    }
  } catch {
    // The network failed, or the watchdog or the `offline` event let the connection go.
    return { kind: 'lost' };
  } finally {
    clearTimeout(watchdog);
    signal.removeEventListener('abort', abort);
    globalThis.removeEventListener?.('offline', abort);
    connection.abort();
    // What is left of the body goes unread: let it go (an app's fetch may not follow the signal).
    await reader?.cancel().catch(() => {});
  }
}
