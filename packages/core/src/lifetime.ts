/**
 * A stream's lifetime: when a stream must end (its `maxAge`, or a deadline such as the expiry of
 * the token that opened it), and how the end is spread so that streams opened together do not
 * reconnect together. The stream ends a little before its deadline, at a random point of the
 * last tenth of its life (at most {@link MAX_EARLY_MS} early), and tells the client to wait a
 * random reconnection delay around its usual one: a deploy or a token rotation becomes a trickle
 * of reconnections, not a stampede, and the client resumes from its last id with fresh
 * credentials before the old ones expire.
 */

import { inputError } from './errors.js';

/** The most a stream ends before its deadline: the spread of a crowd opened at one instant. */
export const MAX_EARLY_MS = 60_000;
/** The part of a stream's remaining life over which its end is spread. */
const EARLY_FRACTION = 0.1;
/** The reconnection delay around which the closing hint is spread when `retry` is not set. */
export const DEFAULT_ROTATION_RETRY_MS = 1000;
/** setTimeout's longest delay; a later deadline is reached by re-arming. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** When a stream should end, given its deadline: a random point shortly before it. */
export function jitteredEnd(deadline: number, now: number, random: () => number): number {
  const remaining = Math.max(0, deadline - now);
  return deadline - random() * Math.min(remaining * EARLY_FRACTION, MAX_EARLY_MS);
}

/** The reconnection delay sent when a stream ends for its lifetime: 0.5x to 1.5x the usual one. */
export function rotationRetry(retry: number | undefined, random: () => number): number {
  return Math.round((retry ?? DEFAULT_ROTATION_RETRY_MS) * (0.5 + random()));
}

/**
 * `time` as epoch milliseconds, for `closeAt`.
 * @throws {TypeError} (`ERR_SSE_INVALID_ARGUMENT`) unless it is a valid `Date` or a finite number.
 */
export function deadlineOf(time: Date | number): number {
  const value = time instanceof Date ? time.getTime() : time;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: stream.closeAt(time) takes a Date or epoch milliseconds (Date.now() + ms, or a token's exp * 1000), got ${String(time)}.`,
    );
  }
  return value;
}

/**
 * One timer that calls `expire` at `end` (epoch ms). Far deadlines re-arm, since setTimeout
 * fires at once past about 24.8 days. The timer does not keep a process alive on its own.
 */
export class LifetimeTimer {
  #end: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #expire: () => void;

  constructor(end: number, expire: () => void) {
    this.#end = end;
    this.#expire = expire;
    this.#arm();
  }

  /** The time the timer fires at. */
  get end(): number {
    return this.#end;
  }

  /** Moves the end earlier (never later). */
  shorten(end: number): void {
    if (end >= this.#end) return;
    this.#end = end;
    this.cancel();
    this.#arm();
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    const delay = this.#end - Date.now();
    if (delay <= 0) {
      this.#timer = undefined;
      queueMicrotask(this.#expire);
      return;
    }
    this.#timer = setTimeout(() => this.#arm(), Math.min(delay, MAX_TIMER_MS));
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
