/**
 * The arithmetic of counted ids (`<ms>-<n>`, n counting every entry ever appended): what follows
 * what, the position before an entry, and which positions Redis can read after, up to the top of
 * Redis's id range.
 */
import { describe, expect, it } from 'vitest';
import { countOf, follows, isReadablePosition, positionBefore } from './counted-ids.js';

/** 2^64 - 1, the largest part of a Redis stream id. */
const TOP = '18446744073709551615';

describe('follows', () => {
  it('is true for the next count, whatever the milliseconds', () => {
    expect(follows('1700000000000-43', '1700000000000-42')).toBe(true);
    expect(follows('1700000000001-43', '1700000000000-42')).toBe(true);
    // Redis's clock went back (a failover): the count still says nothing was lost.
    expect(follows('1699999999999-43', '1700000000000-42')).toBe(true);
  });

  it('is false for a gap, a repeat or a step back, whatever the milliseconds', () => {
    expect(follows('1700000000000-44', '1700000000000-42')).toBe(false);
    expect(follows('1700000000001-42', '1700000000000-42')).toBe(false);
    expect(follows('1700000000005-41', '1700000000000-42')).toBe(false);
  });

  it('starts the count after the empty position 0-0', () => {
    expect(follows('1700000000000-1', '0-0')).toBe(true);
    expect(follows('1700000000000-2', '0-0')).toBe(false);
  });

  it("takes the first entry of a stream counted from Redis's clock as the one after 0-0", () => {
    // 1024 counts a millisecond: the first entry counts from the millisecond it is stamped with.
    expect(follows('1700000000000-1740800000000001', '0-0')).toBe(true);
    expect(follows('1700000000000-1740800000000001', '5-0')).toBe(true);
    // Its second entry, or a first entry kept after a trim, is not.
    expect(follows('1700000000000-1740800000000002', '0-0')).toBe(false);
    expect(follows('1700000000001-1740800000000201', '0-0')).toBe(false);
    expect(follows('1700000000001-1740800000000001', '0-0')).toBe(false);
    // Only after the empty position.
    expect(follows('1700000000000-1740800000000001', '1699999999999-200')).toBe(false);
  });

  it('is exact past 2^53 and up to the top of the range, where numbers round', () => {
    expect(follows('1-9007199254740993', '1-9007199254740992')).toBe(true);
    expect(follows('1-9007199254740994', '1-9007199254740992')).toBe(false);
    expect(follows(`1-${TOP}`, '1-18446744073709551614')).toBe(true);
    expect(follows(`1-${TOP}`, '1-18446744073709551600')).toBe(false);
    expect(follows('1-10000000000000000', '1-9999999999999999')).toBe(true);
  });

  it("is exact for the 16-digit counts of a stream begun from Redis's clock, up to 2^53", () => {
    // 1024 counts a millisecond from 1,700,000,000,000 ms: the first entry of a new stream.
    expect(follows('1700000000000-1740800000000001', '1700000000000-1740800000000000')).toBe(true);
    expect(follows('1700000000000-1740800000000002', '1700000000000-1740800000000000')).toBe(false);
    expect(follows('1700000000000-1740800000000000', '1700000000000-1740800000000000')).toBe(false);
    // A stream counted from 1 (lost, then begun again from the clock): no count follows it.
    expect(follows('1700000000001-1740800001025', '1700000000000-200')).toBe(false);
    expect(follows('1-9007199254740991', '1-9007199254740990')).toBe(true);
    expect(follows('1-9007199254740992', '1-9007199254740991')).toBe(true);
    expect(follows('1-9007199254740992', '1-9007199254740990')).toBe(false);
    expect(follows('1-9007199254740993', '1-9007199254740991')).toBe(false);
  });

  it('reads leading zeros as the number they write', () => {
    expect(follows('5-0043', '5-42')).toBe(true);
  });
});

describe('countOf', () => {
  it('is the second part of the id, exactly', () => {
    expect(countOf('1700000000000-42')).toBe(42n);
    expect(countOf('0-0')).toBe(0n);
    expect(countOf(`1-${TOP}`)).toBe(2n ** 64n - 1n);
  });
});

describe('positionBefore', () => {
  it('is the previous count at the same milliseconds', () => {
    expect(positionBefore('1700000000000-43')).toBe('1700000000000-42');
    expect(positionBefore('1700000000000-1')).toBe('1700000000000-0');
    expect(follows('1700000000000-43', positionBefore('1700000000000-43'))).toBe(true);
  });

  it('is exact at the top of the range', () => {
    expect(positionBefore(`1-${TOP}`)).toBe('1-18446744073709551614');
    expect(positionBefore('1-9007199254740993')).toBe('1-9007199254740992');
  });

  it('steps back over the milliseconds for a count of 0, as Redis orders ids', () => {
    expect(positionBefore('1700000000000-0')).toBe(`1699999999999-${TOP}`);
    expect(positionBefore('0-0')).toBe('0-0');
  });
});

describe('isReadablePosition', () => {
  it('takes any position below the top id', () => {
    expect(isReadablePosition('0-0')).toBe(true);
    expect(isReadablePosition('1700000000000-42')).toBe(true);
    expect(isReadablePosition('18446744073709551614-18446744073709551614')).toBe(true);
  });

  it('refuses a part at or past 2^64 - 1: Redis rejects it or nothing comes after it', () => {
    expect(isReadablePosition(`${TOP}-0`)).toBe(false);
    expect(isReadablePosition(`0-${TOP}`)).toBe(false);
    expect(isReadablePosition('99999999999999999999-1')).toBe(false);
    expect(isReadablePosition('1-99999999999999999999')).toBe(false);
  });
});
