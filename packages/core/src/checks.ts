import { inputError } from './errors.js';

/**
 * Option checks shared by the stream, the hub and the backends (exported to backend authors from
 * `@ssekit/core/broker`): bad input throws a TypeError naming the option and the fix.
 */

interface PositiveIntegerOptions {
  /** The factory the option belongs to, named in the error (e.g. `memoryHistory`). */
  owner?: string;
  /** Returned when the option is omitted, and named in the error. */
  fallback?: number;
}

/**
 * `value` when it is a positive whole number; when omitted, `fallback` (or `undefined`).
 * @throws {TypeError} naming the option and what to pass instead.
 */
export function positiveInteger(
  field: string,
  value: number | undefined,
  options: PositiveIntegerOptions & { fallback: number },
): number;
export function positiveInteger(
  field: string,
  value: number | undefined,
  options?: PositiveIntegerOptions,
): number | undefined;
export function positiveInteger(
  field: string,
  value: number | undefined,
  { owner, fallback }: PositiveIntegerOptions = {},
): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw inputError(
      'ERR_SSE_INVALID_OPTION',
      `ssekit: ${fieldName(owner, field)} must be a positive whole number, got ${describeValue(value)}. Omit it for ${fallback ?? 'the default'}.`,
    );
  }
  return value;
}

/**
 * `value` when it is a reconnection delay (a non-negative whole number of milliseconds) or
 * omitted.
 * @throws {TypeError} (`ERR_SSE_INVALID_OPTION`) naming the option and what to pass.
 */
export function retryDelay(owner: string, value: number | undefined): number | undefined {
  if (value === undefined || (Number.isSafeInteger(value) && value >= 0)) return value;
  throw inputError(
    'ERR_SSE_INVALID_OPTION',
    `ssekit: ${owner} "retry" must be a non-negative whole number of milliseconds, got ${String(value)}; omit it to send no reconnection delay.`,
  );
}

/**
 * Throws when `value` has a key `known` does not list, so that a misspelled option (say
 * `filtr`) fails loudly instead of silently turning its feature off. Keys set to `undefined`
 * pass, as they do everywhere else options are read.
 * @throws {TypeError} naming the unknown key, the closest known one, and the known keys; its
 * `code` is `ERR_SSE_UNKNOWN_OPTION`, or `code` when given (a message's unknown key is a field).
 */
export function checkKnownKeys(
  owner: string,
  value: object,
  known: readonly string[],
  code: 'ERR_SSE_UNKNOWN_OPTION' | 'ERR_SSE_INVALID_FIELD' = 'ERR_SSE_UNKNOWN_OPTION',
): void {
  for (const key in value) {
    if (!known.includes(key) && (value as Record<string, unknown>)[key] !== undefined) {
      const match = closestKey(key, known);
      const hint = match === undefined ? '' : ` did you mean "${match}"?`;
      throw inputError(
        code,
        `ssekit: ${owner} has no option "${key}";${hint} Known options: ${known.join(', ')}. Nothing was set up; fix or remove "${key}".`,
      );
    }
  }
}

/** The known key the unknown one most likely misspells: same letters in another case, or at most two edits away. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameLetters = known.find((candidate) => candidate.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        substitution,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * `value` when it is a function or omitted; `shape` is its signature as the error shows it,
 * e.g. `(error) => void`.
 * @throws {TypeError} naming the option and its expected shape.
 */
export function optionalFunction<T>(owner: string, field: string, value: T, shape: string): T {
  if (value === undefined || typeof value === 'function') return value;
  throw inputError(
    'ERR_SSE_INVALID_OPTION',
    `ssekit: ${fieldName(owner, field)} must be a function ${shape}, got ${describeValue(value)}; pass a function or leave it out for the default.`,
  );
}

/**
 * `value` when it is a function; `shape` is its signature as the error shows it. For the
 * handler an adapter wraps: refused where the route is defined, not failing at every request.
 * @throws {TypeError} naming the argument and its expected shape.
 */
export function requiredFunction<T>(owner: string, field: string, value: T, shape: string): T {
  if (typeof value === 'function') return value;
  throw inputError(
    'ERR_SSE_INVALID_ARGUMENT',
    `ssekit: ${fieldName(owner, field)} must be a function ${shape}, got ${value === undefined ? 'undefined' : describeValue(value)}; pass the route's handler.`,
  );
}

/** An option as an error message names it: `"field"`, or `owner "field"` when the owner is known. */
export function fieldName(owner: string | undefined, field: string): string {
  return owner === undefined ? `"${field}"` : `${owner} "${field}"`;
}

/** A value as an error message shows it: strings quoted (so `"5"` is not read as 5), objects by type. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `"${value}"`;
  return typeof value === 'number' ? String(value) : typeof value;
}

/** Half of a UTF-16 surrogate pair without the other: UTF-8 has no bytes for it. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Why `text` would not reach the client (or Redis) as itself, or `undefined` when it would: a
 * lone surrogate is encoded as U+FFFD, so an id, event name or topic would turn into another.
 */
export function notWellFormed(text: string): string | undefined {
  if (!LONE_SURROGATE.test(text)) return undefined;
  return (
    'holds half of a UTF-16 surrogate pair without the other, which UTF-8 cannot carry (it ' +
    'would arrive as U+FFFD, another string). Fix the string; text.toWellFormed() replaces such halves'
  );
}
