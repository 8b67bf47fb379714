/** Option checks shared by the stream and the hub: bad input throws a TypeError naming the fix. */

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
    const name = owner === undefined ? `"${field}"` : `${owner} "${field}"`;
    throw new TypeError(
      `ssekit: ${name} must be a positive whole number, got ${String(value)}. Omit it for ${fallback ?? 'the default'}.`,
    );
  }
  return value;
}
