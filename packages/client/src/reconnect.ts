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
  for (;;) {
    host.setState('connecting');
    let delivered = false;
    const outcome: Outcome = await attempt(host, signal, {
      onOpen: () => {
        refreshed = false;
        host.setState('open');
      },
      onEvent: () => {
        delivered = true;
      },
      onRetry: (ms) => {
        serverRetry = ms;
      },
    });
    // A connection that delivered (an event, or a heartbeat of a quiet stream) starts the backoff
    // over; one that opened and ended with neither (a server that answers and closes at once)
    // counts as a failure, or it would be asked again at the base delay for ever.
    if (delivered) failures = 0;
    if (outcome.kind === 'aborted' || signal.aborted) return undefined;
    if (outcome.kind === 'stop') return outcome;
    if (outcome.kind === 'unauthorized') {
      if (!refreshed && (await refresh(host, outcome.response))) {
        refreshed = true;
        continue;
      }
      return { error: unauthorized(outcome.response.status) };
    }
    const resendable =
      options.body === undefined || options.retryWithBody === true || host.position() !== undefined;
    if (!resendable) return outcome.kind === 'lost' && outcome.cleanly ? {} : { error: lost() };
    host.setState('retrying');
    await waitToReconnect(
      backoffDelay(failures++, serverRetry ?? options.retryDelay, options.maxRetryDelay),
      signal,
    );
    if (signal.aborted) return undefined;
  }
}

/** Runs `onUnauthorized`; true when it asks for one more try. A throwing hook is a no. */
async function refresh(host: Host, response: Response): Promise<boolean> {
  try {
    return (await host.options.onUnauthorized?.(response)) === true;
  } catch {
    return false;
  }
}

function unauthorized(status: number): SseClientError {
  return new SseClientError(
    'ERR_SSE_UNAUTHORIZED',
    `the server answered ${status}, not fixed by onUnauthorized: closed. Sign in and create a new client.`,
    { status },
  );
}

function lost(): SseClientError {
  return new SseClientError(
    'ERR_SSE_CONNECTION_LOST',
    'connection lost: closed, not resending a body to a stream without ids. Set retryWithBody if that is safe.',
  );
}
