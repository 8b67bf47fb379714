import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HubEntry } from './broker.js';
import { memoryHistory } from './memory-history.js';

const entry = (n: number, topic = 'a'): HubEntry => ({ id: `5-${n}`, topic, data: `d${n}` });
const ids = (entries: readonly HubEntry[] | undefined) => entries?.map((e) => e.id);

describe('memoryHistory', () => {
  afterEach(() => vi.useRealTimers());

  it('returns the entries after an id, oldest first, on the requested topics only', () => {
    const history = memoryHistory();
    for (let n = 1; n <= 6; n++) history.append(entry(n, n % 2 === 0 ? 'even' : 'odd'));
    expect(ids(history.entriesAfter('5-2', new Set(['even'])))).toEqual(['5-4', '5-6']);
    expect(ids(history.entriesAfter('5-0', new Set(['odd', 'even'])))).toHaveLength(6);
    expect(ids(history.entriesAfter('5-6', new Set(['odd'])))).toEqual([]);
  });

  it('keeps at most maxEvents and reports a gap for ids before the evicted ones', () => {
    const history = memoryHistory({ maxEvents: 3 });
    for (let n = 1; n <= 10; n++) history.append(entry(n));
    const all = new Set(['a']);
    expect(ids(history.entriesAfter('5-7', all))).toEqual(['5-8', '5-9', '5-10']);
    expect(history.entriesAfter('5-6', all)).toBeUndefined();
    expect(history.entriesAfter('5-1', all)).toBeUndefined();
  });

  it('drops entries older than maxAgeMs', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const history = memoryHistory({ maxAgeMs: 1000 });
    history.append(entry(1));
    vi.advanceTimersByTime(600);
    history.append(entry(2));
    vi.advanceTimersByTime(600);
    const all = new Set(['a']);
    expect(ids(history.entriesAfter('5-1', all))).toEqual(['5-2']);
    expect(history.entriesAfter('5-0', all)).toBeUndefined();
  });

  it('keeps the latest entry per topic and key apart, outside maxEvents and maxAgeMs', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const history = memoryHistory({ maxEvents: 2, maxAgeMs: 1000 });
    const keyed = (n: number, key: string, topic = 'prices'): HubEntry => ({
      ...entry(n, topic),
      key,
    });
    history.append(keyed(1, 'AAPL'));
    history.append(keyed(2, 'MSFT'));
    history.append(keyed(3, 'AAPL', 'other'));
    history.append(keyed(4, 'AAPL'));
    vi.advanceTimersByTime(5000);
    for (let n = 5; n <= 9; n++) history.append(entry(n));
    const prices = new Set(['prices']);
    expect(ids(history.latest?.(prices, undefined))).toEqual(['5-2', '5-4']);
    expect(ids(history.latest?.(prices, '5-2'))).toEqual(['5-4']);
    expect(ids(history.latest?.(new Set(['prices', 'other']), undefined))).toEqual([
      '5-2',
      '5-3',
      '5-4',
    ]);
    // Plain entries are bounded as before, and never hold a keyed one.
    expect(ids(history.entriesAfter('5-7', new Set(['a'])))).toEqual(['5-8', '5-9']);
    expect(ids(history.entriesAfter('5-7', prices))).toEqual([]);
  });

  it('refuses bounds that are not positive whole numbers, naming the field', () => {
    expect(() => memoryHistory({ maxEvents: 0 })).toThrow(/maxEvents/);
    expect(() => memoryHistory({ maxAgeMs: 1.5 })).toThrow(/maxAgeMs/);
  });
});
