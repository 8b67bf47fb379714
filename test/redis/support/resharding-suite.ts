/**
 * A partition's hash slot moves to another master of a real Redis Cluster (the steps of
 * `redis-cli --cluster reshard`: IMPORTING, MIGRATING, `MIGRATE` a few keys at a time, then the
 * slot assigned; `support/slot-migration.ts`) while two hubs over HTTP publish on it and serve
 * live clients, with each cluster client library. Meanwhile the old master answers `ASK` for the
 * keys it no longer has, both answer `TRYAGAIN` for the append script whose keys are split, and
 * once the slot is assigned the old master answers `MOVED`, also to the blocking read waiting on
 * it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FetchReader } from '../../hub/support/clients.js';
import { sleep, until } from '../../support/wait.js';
import { runCleanups } from './cleanups.js';
import { CLUSTER_LIBRARIES } from './cluster-clients.js';
import { clusterInstance, openOnEach, streamKeyOf } from './cluster-instance.js';
import { expectDelivered, seen } from './delivered.js';
import { type LocalCluster, localCluster } from './local-cluster.js';
import { canRunRedisServer } from './private-redis.js';
import { mastersOf, moveSlot } from './slot-migration.js';
import { steadyPublisher } from './steady-publisher.js';

const runnable = await canRunRedisServer();

const TOPIC = 'room:{moving}';

/**
 * Declares the resharding test for the cluster client library named `name` (one of
 * `CLUSTER_LIBRARIES`), on a cluster of its own: each library's test is a file of its own, so that
 * vitest runs them in parallel workers.
 */
export function describeResharding(name: string): void {
  const library = CLUSTER_LIBRARIES.find((candidate) => candidate.name === name);
  if (library === undefined)
    throw new TypeError(`describeResharding: no cluster library "${name}"`);
  let cluster: LocalCluster;
  beforeAll(async () => {
    if (runnable) cluster = await localCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.dispose();
  });
  describe.skipIf(!runnable)(
    `redisBroker while a Redis Cluster slot moves to another master, with ${name}`,
    () => {
      const cleanups: Array<() => Promise<void> | void> = [];
      afterEach(() => runCleanups(cleanups), 60_000);

      it('delivers every stored event once, in order, to live and resuming clients; no publish is refused', {
        timeout: 180_000,
      }, async () => {
        const key = 'ssekit:{reshard}';
        const instance = () => clusterInstance(library, cluster.seeds, key, cleanups);
        const [a, b] = [await instance(), await instance()];
        const streamKey = streamKeyOf(key, TOPIC);
        const from = await cluster.masterOf(streamKey);
        const to = (await mastersOf(cluster)).find((node) => node !== from);
        if (to === undefined) throw new Error('no other master');
        const live = await openOnEach([a, b], TOPIC);
        // History to move with the stream, and publish records beside it in the slot.
        const first = await a.hub.publish(TOPIC, { data: 'first' });
        for (let n = 0; n < 19; n++) await b.hub.publish(TOPIC, { data: `before ${n}` });

        const publishing = [
          steadyPublisher(a.hub, TOPIC, 'a', 50),
          steadyPublisher(b.hub, TOPIC, 'b', 70),
        ];
        const resolved = () => publishing.reduce((sum, p) => sum + p.resolved(), 0);
        // Publishes and reads go on with the slot half moved, for longer than the 1.6 s the cluster
        // clients wait out TRYAGAIN by themselves.
        const move = await moveSlot(cluster, streamKey, to, () => sleep(1000));
        await cluster.servedBy(streamKey, to);
        const atMove = resolved();
        await until(() => resolved() >= atMove + 10, 'publishes after the move', 60_000);
        const outcomes = (await Promise.all(publishing.map((p) => p.stop()))).flat();
        await a.hub.publish(TOPIC, { data: 'last' });

        const resumed = [a.open([TOPIC], first), b.open([TOPIC], first)];
        const clients = [...live, ...resumed];
        await until(
          () => clients.every((reader) => seen(reader).at(-1) === 'last'),
          () => `every event (${library.name}): ${JSON.stringify(clients.map(seen))}`,
          60_000,
        );
        expect(move.keysMoved).toBeGreaterThan(1);
        // Nothing refused, nothing of unknown outcome: every publish made during the move resolved.
        expect(outcomes.filter((outcome) => outcome.error !== undefined)).toEqual([]);
        // All of them once, in the stream's order; no reset.
        const published = new Set(outcomes.map((outcome) => outcome.data));
        for (const reader of clients) {
          const events = seen(reader);
          expect(events).not.toContain('RESET');
          expectDelivered(
            events.filter((data) => published.has(data)),
            outcomes,
          );
        }
        // The resumed clients replayed the history too, then the same stream as the live ones.
        const history = Array.from({ length: 19 }, (_, n) => `before ${n}`);
        for (const reader of live) expect(seen(reader).slice(0, 20)).toEqual(['first', ...history]);
        for (const reader of resumed) {
          expect(seen(reader).slice(0, 19)).toEqual(history);
          expect(seen(reader).slice(19)).toEqual(seen(live[0] as FetchReader).slice(20));
        }
        expect(await cluster.masterOf(streamKey)).toBe(to);
      });
    },
  );
}
