import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSseStream } from './adapter.js';
import { deadlineOf, jitteredEnd, LifetimeTimer, MAX_EARLY_MS, rotationRetry } from './lifetime.js';

describe('jitteredEnd', () => {
  it('ends within the last tenth of the remaining life', () => {
    expect(jitteredEnd(10_000, 0, () => 0)).toBe(10_000);
    expect(jitteredEnd(10_000, 0, () => 0.5)).toBe(9_500);
    expect(jitteredEnd(10_000, 0, () => 0.999)).toBeGreaterThan(9_000);
  });

  it('ends at most a minute early, however long the life', () => {
    const day = 24 * 3600 * 1000;
    expect(jitteredEnd(day, 0, () => 0.999)).toBeGreaterThan(day - MAX_EARLY_MS);
  });

  it('ends at once for a deadline already past', () => {
    expect(jitteredEnd(1_000, 5_000, () => 0.7)).toBe(1_000);
  });
});

describe('rotationRetry', () => {
  it('spreads the reconnection delay from 0.5x to 1.5x the usual one', () => {
    expect(rotationRetry(2000, () => 0)).toBe(1000);
    expect(rotationRetry(2000, () => 0.999)).toBe(2998);
    expect(rotationRetry(undefined, () => 0.5)).toBe(1000);
  });
});

describe('deadlineOf', () => {
  it('takes a Date or epoch milliseconds', () => {
    expect(deadlineOf(new Date(1234))).toBe(1234);
    expect(deadlineOf(5678)).toBe(5678);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, new Date('nonsense'), '2030-01-01'])(
    'refuses %s with a TypeError naming the fix',
    (time) => {
      expect(() => deadlineOf(time as number)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_SSE_INVALID_ARGUMENT' }),
      );
      expect(() => deadlineOf(time as number)).toThrow(/closeAt\(time\) takes a Date/);
    },
  );
});

describe('LifetimeTimer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('re-arms past the longest setTimeout delay instead of firing at once', () => {
    vi.useFakeTimers();
    const expire = vi.fn();
    const thirtyDays = 30 * 24 * 3600 * 1000;
    const timer = new LifetimeTimer(Date.now() + thirtyDays, expire);
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(expire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(thirtyDays - (2 ** 31 - 1));
    return Promise.resolve().then(() => {
      expect(expire).toHaveBeenCalledTimes(1);
      timer.cancel();
    });
  });

  it('only ever moves the end closer', () => {
    const timer = new LifetimeTimer(Date.now() + 60_000, () => {});
    const end = timer.end;
    timer.shorten(end + 10_000);
    expect(timer.end).toBe(end);
    timer.shorten(end - 10_000);
    expect(timer.end).toBe(end - 10_000);
    timer.cancel();
  });
});

describe('maxAge and closeAt on a stream', () => {
  it('refuses a maxAge that is not a positive whole number', () => {
    for (const maxAge of [0, -5, 1.5, Number.NaN]) {
      expect(() => createSseStream({ maxAge })).toThrow(
        expect.objectContaining({
          code: 'ERR_SSE_INVALID_OPTION',
          message: expect.stringContaining('"maxAge"'),
        }),
      );
    }
  });

  it('ends the stream with a reconnection delay after what was queued', async () => {
    const stream = createSseStream({ heartbeat: false, retry: 100, maxAge: 30 });
    stream.send({ id: '1', data: 'before the end' });
    const text = await new Response(stream.readable).text();
    expect(text).toMatch(/^retry: 100\n\nid: 1\ndata: before the end\n\nretry: (\d+)\n\n$/);
    const hint = Number(/retry: (\d+)\n\n$/.exec(text)?.[1]);
    expect(hint).toBeGreaterThanOrEqual(50);
    expect(hint).toBeLessThanOrEqual(150);
    expect(stream.isClosed).toBe(true);
  });

  it('closeAt brings the end closer, never later, and does nothing once closed', async () => {
    const stream = createSseStream({ heartbeat: false, maxAge: 60_000 });
    stream.closeAt(Date.now() + 20);
    stream.closeAt(Date.now() + 120_000);
    await stream.closed;
    expect(stream.isClosed).toBe(true);
    expect(() => stream.closeAt(Date.now())).not.toThrow();
  });

  it('a stream closed before its deadline leaves no timer behind', async () => {
    vi.useFakeTimers();
    try {
      const stream = createSseStream({ heartbeat: false, maxAge: 3_600_000 });
      expect(vi.getTimerCount()).toBe(1);
      stream.close();
      await stream.closed;
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
