/**
 * Redis loses a stream's history (a restart without persistence, or the key deleted) and the
 * stream starts again while instances and clients still hold ids of the lost one. A new stream
 * must not count on where the lost one's counts were: once `MAXLEN ~` trims the new stream's
 * head, its first entry kept could otherwise carry exactly "a lost id's count + 1", and both the
 * replay and the live read loop would take it for the entry right after that id, skipping the
 * trimmed ones with no reset. Here the loss is a `DEL` of the stream key on the shared Redis,
 * under this file's own prefix; the new stream is then published in one turn (one script call,
 * which appends and trims at once), so that the head is trimmed before any read sees it.
 */
import type { BrokerListener, HubEntry, ReplayPage } from '@ssekit/core/broker';
import { compareIds } from '@ssekit/core/broker';
import type { RedisBroker } from '@ssekit/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../support/wait.js';
import { CLIENT_NAMES, clientLibraries } from './support/clients.js';
import { commandOnce } from './support/command-once.js';
import { openBrokers } from './support/open-brokers.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis lost history');
const prefix = randomPrefix();
let keys = 0;

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

/** What a broker delivered live: its entries, and each reset among them as `'RESET'`. */
function collect(broker: RedisBroker) {
  const seen: Array<HubEntry | 'RESET'> = [];
  const listener: BrokerListener = {
    entry: (entry) => seen.push(entry),
    reset: () => seen.push('RESET'),
  };
  broker.subscribe(listener);
  return seen;
}

async function pages(iterable: AsyncIterable<ReplayPage>): Promise<ReplayPage[]> {
  const all: ReplayPage[] = [];
  for await (const page of iterable) all.push(page);
  return all;
}

/** The counter of an id, `<ms>-<n>`. */
const countOf = (id: string) => BigInt(id.slice(id.indexOf('-') + 1));

/** `count` publishes in one turn (one script call), `<label>-1` to `<label>-<count>`. */
function publishTurn(broker: RedisBroker, label: string, count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, (_, n) =>
      broker.publish({ topic: 't', data: `${label}-${n + 1}` }),
    ),
  );
}

describe.skipIf(!available).each(CLIENT_NAMES)(
  'a stream whose history Redis lost, over %s',
  (name) => {
    const { start } = openBrokers(clientLibraries[name]);

    it('resets a resume from a lost id and a live read loop at one, even where the new stream, trimmed, counts on from it', async () => {
      const key = `${prefix}lost:${++keys}`;
      const publisher = await start({ key, maxEvents: 100 });
      const live = await start({ key });
      const delivered = collect(live);

      // The lost stream: 200 entries, all delivered live (the live loop's cursor is the last).
      const lost = await publishTurn(publisher, 'old', 200);
      await until(() => live.cursor() === lost.at(-1), 'the live loop to read the old entries');
      delivered.length = 0;

      // The history goes; 350 new entries in one call, trimmed by MAXLEN ~ 100 in the same call
      // (nodes of 100 entries: the first 200 go).
      await commandOnce(REDIS_URL, ['DEL', key]);
      const fresh = await publishTurn(publisher, 'new', 350);
      const kept = (await commandOnce(REDIS_URL, ['XRANGE', key, '-', '+', 'COUNT', '1'])) as [
        [string, string[]],
      ];
      const head = kept[0][0];
      const trimmed = fresh.indexOf(head);
      expect(trimmed).toBeGreaterThan(0);

      // The live loop: its cursor was the lost stream's last id. It gets the entries still there,
      // after a reset.
      await until(() => live.cursor() === fresh.at(-1), 'the live loop to read the new entries');
      expect.soft(delivered[0]).toBe('RESET');
      expect.soft(delivered.filter((entry) => entry === 'RESET')).toHaveLength(1);
      expect
        .soft(delivered.slice(1).map((entry) => (entry as HubEntry).data))
        .toEqual(fresh.slice(trimmed).map((_, n) => `new-${trimmed + n + 1}`));

      // A client resuming with the lost id whose count is right before the new head's, when the
      // lost stream had one (the count a stream counted from 1 reaches), else with its last.
      const before = Number(countOf(head)) - 1;
      const resumeFrom = (
        before >= 1 && before <= lost.length ? lost[before - 1] : lost.at(-1)
      ) as string;
      for (const broker of [publisher, live]) {
        const replayed = await pages(broker.replay(resumeFrom, new Set(['t'])));
        expect
          .soft(replayed.map((page) => (page === 'reset' ? page : page.length)))
          .toEqual(['reset']);
        expect(await pages(broker.replay(lost.at(-1) as string, new Set(['t'])))).toEqual([
          'reset',
        ]);
      }
      // An id of the new stream resumes as usual.
      const resumed = await pages(live.replay(fresh.at(-11) as string, new Set(['t'])));
      expect(
        resumed.flatMap((page) => (page === 'reset' ? ['RESET'] : page.map((e) => e.data))),
      ).toEqual(Array.from({ length: 10 }, (_, n) => `new-${341 + n}`));

      // Ids keep growing across the loss, and the new stream counts above the lost one.
      expect(compareIds(fresh[0] as string, lost.at(-1) as string)).toBeGreaterThan(0);
      expect(countOf(fresh[0] as string)).toBeGreaterThan(countOf(lost.at(-1) as string));
    }, 30_000);
  },
);
