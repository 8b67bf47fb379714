import { describe, expect, it } from 'vitest';
import { SmallSet } from './small-collections.js';

describe('SmallSet', () => {
  it('behaves as a Set through one entry, many, and back', () => {
    const set = new SmallSet(['a']);
    expect([set.size, set.has('a'), set.has('b')]).toEqual([1, true, false]);
    set.add('a');
    expect(set.size).toBe(1);
    set.add('b');
    set.add('c');
    expect([...set]).toEqual(['a', 'b', 'c']);
    expect(set.delete('b')).toBe(true);
    expect(set.delete('b')).toBe(false);
    expect([...set]).toEqual(['a', 'c']);
    set.delete('a');
    set.delete('c');
    expect([set.size, [...set]]).toEqual([0, []]);
  });

  it('empties and refills while it holds one entry', () => {
    const set = new SmallSet<string>();
    expect([set.size, [...set], set.delete('x')]).toEqual([0, [], false]);
    set.add('x');
    expect(set.delete('x')).toBe(true);
    expect([set.size, set.has('x')]).toEqual([0, false]);
    set.add('y');
    expect([...set]).toEqual(['y']);
  });
});
