/**
 * For adapters whose framework answers later than the route returns (Fastify's `reply.send`
 * behind async hooks, Express's `res.sendFile` behind file I/O): a call of an answering method
 * is the only sign, early enough, that the route answered. Wraps `names` on this one object (the
 * request's reply), each still running as before.
 */
export function noteCalls<Target extends object>(
  target: Target,
  names: readonly (keyof Target & string)[],
): () => boolean {
  let called = false;
  for (const name of names) {
    const method = target[name];
    if (typeof method !== 'function') continue;
    (target as Record<string, unknown>)[name] = function noted(this: unknown, ...args: unknown[]) {
      called = true;
      return (method as (...args: unknown[]) => unknown).apply(this, args);
    };
  }
  return () => called;
}
