/**
 * The error for an option the Redis backend cannot use: a `TypeError` whose `code` users and
 * tests match on, as the core's option checks throw.
 */
export function invalidOption(message: string): TypeError & { code: 'ERR_SSE_INVALID_OPTION' } {
  return Object.assign(new TypeError(message), { code: 'ERR_SSE_INVALID_OPTION' as const });
}
