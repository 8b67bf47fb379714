/**
 * `pauseWhenHidden(ms)`: a page hidden longer than the threshold lets its connection go, and a page
 * shown again reconnects once, from its last id. Only a pause is ever followed by a connect, so
 * tab switches never add a request to one already open.
 */
import type { Connect, Ending, Host } from './host.js';

/** Connects `host` while the page is shown (or hidden less than `after` ms). */
export async function pauseWhileHidden(
  host: Host,
  after: number,
  stop: AbortSignal,
  run: Connect,
): Promise<Ending | undefined> {
  const page = globalThis.document;
  if (page === undefined) return run(host, stop);
  for (;;) {
    const connection = new AbortController();
    const abort = () => connection.abort();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let shown = () => {};
    const shownAgain = new Promise<void>((resolve) => {
      shown = resolve;
    });
    const onChange = () => {
      if (page.visibilityState === 'hidden') {
        timer ??= setTimeout(abort, after);
        return;
      }
      clearTimeout(timer);
      timer = undefined;
      if (connection.signal.aborted) shown();
    };
    stop.addEventListener('abort', abort);
    stop.addEventListener('abort', shown);
    page.addEventListener('visibilitychange', onChange);
    onChange();
    try {
      const ending = await run(host, connection.signal);
      if (ending !== undefined || stop.aborted) return ending;
      host.setState('paused');
      if (page.visibilityState !== 'hidden') shown();
      await shownAgain;
      if (stop.aborted) return undefined;
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', abort);
      stop.removeEventListener('abort', shown);
      page.removeEventListener('visibilitychange', onChange);
    }
  }
}
