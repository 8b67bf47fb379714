import { describe, expect, it } from 'vitest';
import type { HubEntry, ReplayPage } from './broker.js';
import { compareIds } from './ids.js';
import { localBroker } from './local-broker.js';
import { memoryHistory } from './memory-history.js';

async function replayAll(pages: AsyncIterable<ReplayPage>): Promise<Array<HubEntry | 'reset'>> {
  const out: Array<HubEntry | 'reset'> = [];
  for await (const page of pages) {
    if (page === 'reset') out.push('reset');
    else out.push(...page);
  }
  return out;
}

describe('localBroker', () => {
  it('assigns strictly increasing ids that a later broker never reuses', async () => {
    const first = localBroker();
    const a = await first.publish({ topic: 't', data: '1' });
    const b = await first.publish({ topic: 't', data: '2' });
    const later = localBroker();
    const c = await later.publish({ topic: 't', data: '3' });
    expect(compareIds(a, b)).toBeLessThan(0);
    expect(compareIds(b, c)).toBeLessThan(0);
    expect(await replayAll(later.replay(b, new Set(['t'])))).toEqual(['reset']);
  });

  it('delivers each entry to listeners synchronously and moves the cursor', async () => {
    const broker = localBroker();
    const seen: string[] = [];
    const leave = broker.subscribe({ entry: (e) => seen.push(e.id), reset: () => {} });
    const start = broker.cursor() as string;
    const id = await broker.publish({ topic: 't', event: 'x', data: 'y' });
    expect(seen).toEqual([id]);
    expect(broker.cursor()).toBe(id);
    expect(compareIds(start, id)).toBeLessThan(0);
    leave();
    await broker.publish({ topic: 't', data: 'z' });
    expect(seen).toHaveLength(1);
  });

  it('replays from its start cursor, and resets on malformed, future and evicted ids', async () => {
    const broker = localBroker({ history: memoryHistory({ maxEvents: 2 }) });
    const start = broker.cursor() as string;
    const first = await broker.publish({ topic: 't', data: '1' });
    expect(await replayAll(broker.replay(start, new Set(['t'])))).toHaveLength(1);
    await broker.publish({ topic: 't', data: '2' });
    await broker.publish({ topic: 't', data: '3' });
    const topics = new Set(['t']);
    expect(await replayAll(broker.replay(start, topics))).toEqual(['reset']);
    expect(
      (await replayAll(broker.replay(first, topics))).map((e) => (e as HubEntry).data),
    ).toEqual(['2', '3']);
    expect(await replayAll(broker.replay('nonsense', topics))).toEqual(['reset']);
    expect(await replayAll(broker.replay('99999999999999-1', topics))).toEqual(['reset']);
  });

  it('rejects publishes once closed', async () => {
    const broker = localBroker();
    await broker.close();
    await expect(broker.publish({ topic: 't', data: '1' })).rejects.toThrow(/closed/);
  });
});
