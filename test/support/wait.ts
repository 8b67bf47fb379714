/**
 * Waiting helpers shared by the suites under test/ and the examples' tests.
 * Timeouts here bound a hung test; they never measure speed.
 */

/**
 * How soon a stream must be cleaned up after its client leaves. Cleanup must follow the
 * disconnect itself, not the next heartbeat (seconds away in these tests) or a socket timeout.
 * The bound is loose on purpose: the suite runs six files on two cores, and a worker waiting for
 * a core must not read as a leak.
 */
export const CLEANUP_BUDGET_MS = 1_000;

/**
 * Polls `condition` every few milliseconds until it holds.
 * @param what - What the test waits for, named in the timeout error; a function is called only
 *   when the wait times out, so it can describe the state at that moment.
 * @throws Error after `timeoutMs`.
 */
export async function until(
  condition: () => boolean,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      const description = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    }
    await sleep(5);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
