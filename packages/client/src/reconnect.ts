/**
 * The reconnect loop: connect, and after each loss decide whether to come back (and when) or to
 * stop. A request with a body is sent again only when that is safe: the server sent ids (the
 * stream resumes where it was) or the app said so (`retryWithBody`).
 */
import { attempt, type Outcome } from './attempt.js';
import { backoffDelay, waitToReconnect } from './backoff.js';
import { SseClientError } from './errors.js';
import type { Ending, Host } from './host.js';

/** Connects until the stream ends for good (an {@link Ending}) or `signal` aborts (undefined). */
export async function connectUntilDone(
  host: Host,
  signal: AbortSignal,
): Promise<Ending | undefined> {
  const { options } = host;
  let failures = 0;
  let serverRetry: number | undefined;
  let refreshed = false;
  // Checked at the top: a refreshed sign-in comes back here without waiting, maybe closed meanwhile.
  while (!signal.aborted) {
    host.setState('connecting');
    // A connection that delivers an event, or stays open `retryDelay` (a quiet stream that only
    // heartbeats, rotated by its server), starts the backoff over. One that ends sooner with no
    // event (a server or proxy that answers, maybe writes a comment, and closes) counts as a
    // failure, or it would be asked again at the base delay for ever. The client's own
    // `retryDelay`, not the server's `retry:`: a `retry: 0` would make any connection count.
    let openLongEnoughAt = Infinity;
    const outcome: Outcome = await attempt(host, signal, {
      onOpen: () => {
        refreshed = false;
        openLongEnoughAt = performance.now() + options.retryDelay;
        host.setState('open');
      },
      onEvent: () => {
        failures = 0;
      },
      onRetry: (ms) => {
        serverRetry = ms;
      },
    });
    if (performance.now() >= openLongEnoughAt) failures = 0;
    if (signal.aborted) return undefined;
    if (outcome.kind === 'stop') return outcome;
    if (outcome.kind === 'unauthorized') {
      // A throwing onUnauthorized is a no.
      let retry = false;
      try {
        retry = !refreshed && (await options.onUnauthorized?.(outcome.response)) === true;
      } catch {}
      if (retry) {
        refreshed = true;
        continue;
      }
      const { status } = outcome.response;
      const message = `the server answered ${status}, not fixed by onUnauthorized: closed. Sign in and create a new client.`;
      return { error: new SseClientError('ERR_SSE_UNAUTHORIZED', message, { status }) };
    }
    const resendable =
      options.body === undefined || options.retryWithBody === true || host.position() !== undefined;
    if (!resendable) {
      const message =
        'connection lost: closed, not resending a body to a stream without ids. Set retryWithBody if safe.';
      return outcome.kind === 'ended'
        ? {}
        : { error: new SseClientError('ERR_SSE_CONNECTION_LOST', message) };
    }
    host.setState('retrying');
    await waitToReconnect(
      backoffDelay(failures++, serverRetry ?? options.retryDelay, options.maxRetryDelay),
      signal,
    );
  }
  return undefined;
}
