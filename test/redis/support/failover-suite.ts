/**
 * A master of a real Redis Cluster fails over while hubs on it serve clients over HTTP, with each
 * cluster client library (node-redis `createCluster`, ioredis `Cluster`; v5 and v6 of each). Each
 * test starts a cluster of its own (three masters, one replica each) and tears it down.
 *
 * - Crash: the master of a partition is killed with SIGKILL. Before that, its replica is made to
 *   miss the last events deterministically: it acknowledges the first ones (replication offsets),
 *   is then stopped (SIGSTOP) and cut off (`CLIENT KILL TYPE replica` on the master), and the
 *   master acknowledges three more that never reach it. The replica is continued and promoted.
 *   What it had is delivered and replayable; the three it never had are lost, and every client
 *   that saw them, live or resuming with one of their ids, gets `ssekit:reset`, never silence.
 * - Controlled: `CLUSTER FAILOVER` on the replica (it catches up first) while events are
 *   published: nothing is lost, nothing repeated, nobody is reset.
 *
 * Publishes made during either settle: resolved (then delivered) or rejected, never pending.
 */
import type { Hub } from '@ssekit/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { FetchReader } from '../../hub/support/clients.js';
import { sleep, until } from '../../support/wait.js';
import { runCleanups } from './cleanups.js';
import { CLUSTER_LIBRARIES, type ClusterLibrary } from './cluster-clients.js';
import { clusterInstance, dataOf, openOnEach, streamKeyOf } from './cluster-instance.js';
import { expectDelivered, seen } from './delivered.js';
import { type ClusterNode, type LocalCluster, localCluster } from './local-cluster.js';
import { canRunRedisServer } from './private-redis.js';
import { type PublishOutcome, steadyPublisher } from './steady-publisher.js';

const runnable = await canRunRedisServer();

const KEY = 'ssekit:{failover}';
/** The topic on the partition whose master fails. */
const VICTIM = 'room:{victim}';

/** What the crash tests publish before the kill: five the replica has, three it never gets. */
export const BEFORE_CRASH = [
  'kept 0',
  'kept 1',
  'kept 2',
  'kept 3',
  'kept 4',
  'lost 0',
  'lost 1',
  'lost 2',
];

/**
 * A primary and its replica, and what `crashLosingThree` does to them: a cluster's master and
 * replica (`local-cluster.ts`) or a lone primary behind Sentinel (`local-sentinel.ts`).
 */
export interface ReplicatedPair<Node> {
  master: Node;
  replica: Node;
  /** Resolves once the replica has everything the master had when called. */
  replicated(): Promise<void>;
  freeze(node: Node, frozen: boolean): void;
  command(node: Node, args: readonly string[]): Promise<unknown>;
  kill(node: Node): Promise<void>;
}

/**
 * Publishes five events on `topic` that the master and its replica acknowledge, cuts the replica
 * off (stopped, and its link killed on the master), publishes three that the master alone
 * acknowledges, waits (up to `timeoutMs`) for `live` clients to have all eight, then kills the
 * master and lets the replica continue, to take over. Resolves to the ids of the kept and of the
 * lost events.
 */
export async function crashLosingThree<Node>(
  pair: ReplicatedPair<Node>,
  hub: Hub,
  topic: string,
  live: readonly FetchReader[],
  timeoutMs: number,
): Promise<{ kept: string[]; lost: string[] }> {
  const kept: string[] = [];
  for (let n = 0; n < 5; n++) kept.push(await hub.publish(topic, { data: `kept ${n}` }));
  await pair.replicated();
  pair.freeze(pair.replica, true);
  await pair.command(pair.master, ['CLIENT', 'KILL', 'TYPE', 'replica']);
  const lost: string[] = [];
  for (let n = 0; n < 3; n++) lost.push(await hub.publish(topic, { data: `lost ${n}` }));
  await until(
    () => live.every((reader) => seen(reader).length === BEFORE_CRASH.length),
    'the eight events live, before the crash',
    timeoutMs,
  );
  await pair.kill(pair.master);
  pair.freeze(pair.replica, false);
  return { kept, lost };
}

/** A cluster's `master` and `replica` as a `ReplicatedPair`. */
function clusterPair(
  cluster: LocalCluster,
  master: ClusterNode,
  replica: ClusterNode,
): ReplicatedPair<ClusterNode> {
  return {
    master,
    replica,
    replicated: () => cluster.replicated(master, replica),
    freeze: (node, frozen) => cluster.freeze(node, frozen),
    command: (node, args) => cluster.command(node, args),
    kill: (node) => cluster.kill(node),
  };
}

/**
 * Asserts what each `live` client got across a crash that lost three events
 * (`crashLosingThree`): the eight, the reset, then every event of `outcomes` (published after the
 * failover) once, in order, and one last event. Returns what the first got after the reset.
 */
export function expectResetAfterLoss(
  live: readonly FetchReader[],
  outcomes: readonly PublishOutcome[],
): string[] {
  for (const reader of live) {
    expect(seen(reader).slice(0, BEFORE_CRASH.length + 1)).toEqual([...BEFORE_CRASH, 'RESET']);
    expectDelivered(seen(reader).slice(BEFORE_CRASH.length + 1, -1), outcomes);
  }
  return seen(live[0] as FetchReader).slice(BEFORE_CRASH.length + 1);
}

/** Clients resuming after a crash that lost three events (`crashLosingThree`). */
export interface Resumes {
  /** From the third kept id. */
  fromKept: FetchReader;
  /** From the last id the replica had. */
  fromLastKept: FetchReader;
  /** From an id Redis lost. */
  fromLost: FetchReader;
}

/**
 * Waits until each resume has what it will get: the kept ones up to the `last` event, the lost
 * one the reset. Then `expectResumed` checks it.
 */
export async function untilResumed(resumes: Resumes, last: string, label: string): Promise<void> {
  const { fromKept, fromLastKept, fromLost } = resumes;
  await until(
    () =>
      seen(fromKept).at(-1) === last &&
      seen(fromLastKept).at(-1) === last &&
      seen(fromLost).includes('RESET'),
    () => `the resumes (${label}): ${JSON.stringify([fromKept, fromLastKept, fromLost].map(seen))}`,
    30_000,
  );
}

/**
 * From ids the replica had, exactly what followed (`stored`: what a live client got after the
 * reset), no reset; from an id Redis lost, the reset and none of the lost events.
 */
export function expectResumed(resumes: Resumes, stored: readonly string[]): void {
  expect(seen(resumes.fromKept)).toEqual(['kept 3', 'kept 4', ...stored]);
  expect(seen(resumes.fromLastKept)).toEqual(stored);
  expect(seen(resumes.fromLost)[0]).toBe('RESET');
  expect(seen(resumes.fromLost).filter((data) => data.startsWith('lost'))).toEqual([]);
}

/**
 * Publishes `data` until Redis stores it, as an application does after a failover: a cluster
 * client may still send a command to the dead master after others reached the new one (ioredis 6
 * once answered ECONNREFUSED right after three publishes had succeeded), and the publish rejects.
 */
export async function publishOnceStored(hub: Hub, topic: string, data: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await hub.publish(topic, { data });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

/**
 * Opens a client until the hub answers it: a replay whose Redis command fails closes the stream
 * (the client retries, as an EventSource does), which happens while a cluster client still looks
 * for the new master (or a client behind Sentinel for the new primary: `sentinel-failover.test.ts`).
 */
export async function answered(open: () => FetchReader): Promise<FetchReader> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const reader = open();
    await until(() => seen(reader).length > 0 || reader.isDone(), 'an answer', 60_000);
    if (seen(reader).length > 0 || Date.now() > deadline) return reader;
    await sleep(250);
  }
}

/**
 * Declares the failover tests for the cluster client library named `name` (one of
 * `CLUSTER_LIBRARIES`). Each library's tests are a test file of their own, so that vitest runs
 * them in parallel workers, each test on a cluster of its own on free ports.
 */
export function describeFailover(name: string): void {
  const library = CLUSTER_LIBRARIES.find((candidate) => candidate.name === name);
  if (library === undefined) throw new TypeError(`describeFailover: no cluster library "${name}"`);
  describe.skipIf(!runnable)(
    `redisBroker when a Redis Cluster master fails over, with ${name}`,
    () => {
      const cleanups: Array<() => Promise<void> | void> = [];
      afterEach(() => runCleanups(cleanups), 60_000);

      const started = async (library: ClusterLibrary) => {
        const cluster = await localCluster();
        cleanups.push(() => cluster.dispose());
        const instance = () => clusterInstance(library, cluster.seeds, KEY, cleanups);
        const [a, b, c] = [await instance(), await instance(), await instance()];
        const master = await cluster.masterOf(streamKeyOf(KEY, VICTIM));
        const replica = await cluster.replicaOf(master);
        // A topic whose partition another master serves: the failover is not its.
        let other = '';
        for (let n = 0; other === ''; n++) {
          const topic = `room:{${n}}`;
          if ((await cluster.masterOf(streamKeyOf(KEY, topic))) !== master) other = topic;
        }
        return { cluster, a, b, c, master, replica, other };
      };

      it('a master killed: what its replica had is delivered and replayable, what it lost resets, publishes settle', {
        timeout: 180_000,
      }, async () => {
        const { cluster, a, b, c, master, replica, other } = await started(library);
        const live = [a.open([VICTIM]), b.open([VICTIM])];
        const bystander = c.open([other]);
        await until(
          () => [a, b, c].every((x) => x.hub.stats().openStreams === 1),
          'every client subscribed',
          30_000,
        );

        await c.hub.publish(other, { data: 'other before' });
        const { kept, lost } = await crashLosingThree(
          clusterPair(cluster, master, replica),
          a.hub,
          VICTIM,
          live,
          30_000,
        );
        // A client that comes while the partition's master is dead: its instance starts reading
        // the partition then, from a topology that still names the dead master.
        const arrivedDuring = c.open([VICTIM]);
        const during = steadyPublisher(b.hub, VICTIM, 'during', 250);
        const elsewhere = steadyPublisher(c.hub, other, 'other during', 250);
        await cluster.healthy(streamKeyOf(KEY, VICTIM));
        // The cluster clients find the promoted replica: publishes on the partition succeed again.
        await until(() => during.resolved() > 0, 'a publish stored after the failover', 60_000);
        const outcomes = await during.stop();
        const otherOutcomes = await elsewhere.stop();
        for (let n = 0; n < 3; n++) await a.hub.publish(VICTIM, { data: `after ${n}` });
        await c.hub.publish(other, { data: 'other after' });

        // Live clients: the eight events, the reset (three of them were lost), then every event
        // stored after the failover, once, in order. (Every publish made during it settled: the
        // stop() above resolved.)
        await until(
          () => [...live, arrivedDuring].every((reader) => seen(reader).at(-1) === 'after 2'),
          () =>
            `the events after the failover (${library.name}): ${JSON.stringify([...live, arrivedDuring].map(seen))}`,
          60_000,
        );
        expect(seen(arrivedDuring).slice(-3)).toEqual(['after 0', 'after 1', 'after 2']);
        const afterReset = (reader: FetchReader) => seen(reader).slice(BEFORE_CRASH.length + 1);
        for (const reader of live) {
          expect(seen(reader).slice(0, BEFORE_CRASH.length + 1)).toEqual([
            ...BEFORE_CRASH,
            'RESET',
          ]);
          expect(afterReset(reader).slice(-3)).toEqual(['after 0', 'after 1', 'after 2']);
          expectDelivered(afterReset(reader).slice(0, -3), outcomes);
        }

        const resumes = {
          fromKept: b.open([VICTIM], kept[2]),
          fromLastKept: a.open([VICTIM], kept[4]),
          fromLost: b.open([VICTIM], lost[1]),
        };
        await untilResumed(resumes, 'after 2', library.name);
        expectResumed(resumes, afterReset(live[0] as FetchReader));

        // The partition of another master: everything stored was delivered, once, in order. Its
        // instance read no partition of the failed master, so it was not reset.
        await until(
          () => dataOf(bystander).at(-1) === 'other after',
          'the other partition',
          30_000,
        );
        const otherSeen = seen(bystander);
        expect(otherSeen).not.toContain('RESET');
        expect(otherSeen[0]).toBe('other before');
        expectDelivered(otherSeen.slice(1, -1), otherOutcomes);
      });

      it('a controlled failover (CLUSTER FAILOVER on the replica) while publishing: nothing lost, nothing repeated, no reset', {
        timeout: 180_000,
      }, async () => {
        const { cluster, a, b, c, replica } = await started(library);
        const live = await openOnEach([a, b], VICTIM);
        const first = await a.hub.publish(VICTIM, { data: 'first' });
        const publisher = steadyPublisher(a.hub, VICTIM, 'during', 100);
        await until(() => publisher.resolved() >= 5, 'publishes before the failover', 30_000);
        await cluster.command(replica, ['CLUSTER', 'FAILOVER']);
        await cluster.servedBy(streamKeyOf(KEY, VICTIM), replica);
        const resolvedAtSwitch = publisher.resolved();
        await until(
          () => publisher.resolved() >= resolvedAtSwitch + 5,
          'publishes after the failover',
          60_000,
        );
        const outcomes = await publisher.stop();
        await publishOnceStored(a.hub, VICTIM, 'last');

        const resumed = c.open([VICTIM], first);
        await until(
          () => [...live, resumed].every((reader) => seen(reader).at(-1) === 'last'),
          () => `every event (${library.name}): ${JSON.stringify([...live, resumed].map(seen))}`,
          60_000,
        );
        for (const reader of [...live, resumed]) {
          const events = seen(reader);
          expect(events).not.toContain('RESET');
          const between = events.slice(events[0] === 'first' ? 1 : 0, -1);
          expectDelivered(between, outcomes);
        }
        expect(seen(live[0] as FetchReader)[0]).toBe('first');
      });

      it('one partition (the stream key itself): a master killed resets what it lost, also for a resume before anything new is published', {
        timeout: 180_000,
      }, async () => {
        const cluster = await localCluster();
        cleanups.push(() => cluster.dispose());
        const key = 'ssekit:{single}';
        const instance = () =>
          clusterInstance(library, cluster.seeds, key, cleanups, { partitions: 1 });
        const [a, b] = [await instance(), await instance()];
        const master = await cluster.masterOf(key);
        const replica = await cluster.replicaOf(master);
        const live = await openOnEach([a, b], 'news');
        const { kept, lost } = await crashLosingThree(
          clusterPair(cluster, master, replica),
          a.hub,
          'news',
          live,
          30_000,
        );
        await cluster.servedBy(key, replica);

        // Nothing was published since the failover: the id is beyond what the stream holds.
        const fromLostFirst = await answered(() => b.open(['news'], lost[2]));
        expect(seen(fromLostFirst)[0]).toBe('RESET');

        const publisher = steadyPublisher(a.hub, 'news', 'after', 250);
        await until(() => publisher.resolved() >= 3, 'publishes after the failover', 60_000);
        const outcomes = await publisher.stop();
        await publishOnceStored(a.hub, 'news', 'last');
        await until(
          () => live.every((reader) => seen(reader).at(-1) === 'last'),
          () => `the live clients (${library.name}): ${JSON.stringify(live.map(seen))}`,
          60_000,
        );
        // Resumes once each instance's read loop is past the failover (see the README on a resume
        // that comes before).
        const fromKept = b.open(['news'], kept[4]);
        const fromLost = a.open(['news'], lost[0]);
        await until(
          () => seen(fromKept).at(-1) === 'last' && seen(fromLost).includes('RESET'),
          () => `the resumes (${library.name}): ${JSON.stringify([fromKept, fromLost].map(seen))}`,
          60_000,
        );
        const stored = expectResetAfterLoss(live, outcomes);
        expect(seen(fromKept)).toEqual(stored);
        expect(seen(fromLost)[0]).toBe('RESET');
        expect(seen(fromLost).filter((data) => data.startsWith('lost'))).toEqual([]);
      });
    },
  );
}
