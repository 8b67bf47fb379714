/**
 * Teardown for suites that start processes: every cleanup runs, newest first, even when one
 * before it fails, so that a hub that fails to close never leaves a cluster's redis-servers
 * running. The first failure is thrown once all have run.
 */
export async function runCleanups(cleanups: Array<() => Promise<void> | void>): Promise<void> {
  let failure: { error: unknown } | undefined;
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
}
