/**
 * How long to wait before reconnecting: "full jitter" (a random delay between zero and a bound
 * that doubles per failure, up to a cap), so that clients dropped together do not come back
 * together. The wait ends early when the browser says it is back online.
 */

/**
 * The delay before reconnect number `failures + 1`, in ms. A base of 0 (a server's `retry: 0`)
 * counts as 1 ms, so that the bound still grows with failures instead of reconnecting at once
 * for ever.
 */
export function backoffDelay(failures: number, base: number, cap: number): number {
  return Math.random() * Math.min(cap, Math.max(1, base) * 2 ** failures);
}

/** Resolves after `ms`, on the `online` event (where there is one), or when `signal` aborts. */
export function waitToReconnect(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      globalThis.removeEventListener?.('online', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
    globalThis.addEventListener?.('online', done);
  });
}
