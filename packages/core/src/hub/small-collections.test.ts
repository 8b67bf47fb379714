import { describe, expect, it } from 'vitest';
import { SmallMap, SmallSet } from './small-collections.js';

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

describe('SmallMap', () => {
  it('behaves as a Map through one entry, many, and back', () => {
    const map = new SmallMap<string, number>();
    expect([map.size, map.get('a'), map.keys()]).toEqual([0, undefined, []]);
    map.set('a', 1);
    map.set('a', 2);
    expect([map.size, map.get('a'), map.get('b')]).toEqual([1, 2, undefined]);
    map.set('b', 3);
    map.set('c', 4);
    expect([map.size, map.get('a'), map.get('b'), map.keys()]).toEqual([3, 2, 3, ['a', 'b', 'c']]);
    expect(map.delete('a')).toBe(true);
    expect(map.delete('a')).toBe(false);
    expect(map.keys()).toEqual(['b', 'c']);
  });

  it('gives its keys as a copy that survives deleting during the walk', () => {
    const map = new SmallMap<string, number>();
    map.set('only', 1);
    for (const key of map.keys()) map.delete(key);
    expect([map.size, map.get('only')]).toEqual([0, undefined]);
    map.set('x', 1);
    map.set('y', 2);
    for (const key of map.keys()) map.delete(key);
    expect(map.size).toBe(0);
  });
});
