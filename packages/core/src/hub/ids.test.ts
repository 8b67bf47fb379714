import { describe, expect, it } from 'vitest';
import { compareIds, isHubId } from './ids.js';

describe('hub ids', () => {
  it('orders numerically, first part then second, at any size', () => {
    expect(compareIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareIds('10-10', '10-2')).toBeGreaterThan(0);
    expect(compareIds('1700000000000-5', '1700000000000-5')).toBe(0);
    expect(compareIds('007-1', '7-1')).toBe(0);
    expect(compareIds('18446744073709551615-0', '18446744073709551614-9')).toBeGreaterThan(0);
  });

  it('recognises only the <ms>-<seq> form', () => {
    expect(isHubId('1700000000000-0')).toBe(true);
    for (const bad of ['', '12', '1-', '-1', 'a-1', '1-2-3', ' 1-2', '1-2\n', '1.5-2']) {
      expect(isHubId(bad)).toBe(false);
    }
  });

  it('throws a TypeError naming the expected form for anything else', () => {
    expect(() => compareIds('abc', '1-1')).toThrow(/<ms>-<seq>/);
    expect(() => compareIds('1-1', '')).toThrow(TypeError);
  });
});
