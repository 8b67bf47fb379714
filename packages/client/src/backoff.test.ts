import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay (full jitter)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('spans zero to base × 2^failures', () => {
    vi.spyOn(Math, 'random').mockReturnValueOnce(0).mockReturnValueOnce(0.999_999);
    expect(backoffDelay(3, 100, 60_000)).toBe(0);
    expect(backoffDelay(3, 100, 60_000)).toBeCloseTo(800, 0);
  });

  it('never passes the cap, however many failures', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect(backoffDelay(2000, 1000, 30_000)).toBeLessThanOrEqual(30_000);
    expect(backoffDelay(2000, 1000, 30_000)).toBeGreaterThan(29_999);
  });
});
