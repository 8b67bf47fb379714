/**
 * Replay, then live, for the subscriptions a stream with a `Last-Event-ID` asked for in one turn:
 * the retained entries after it on all their topics, in id order, under the stream's
 * backpressure, then the live entries held meanwhile, skipping every id already covered, so the
 * client misses nothing, gets nothing twice, and never sees an id older than one it already has.
 */
import type { EventMap } from '../sse-stream.js';
import { whenWritable } from '../waiting-writers.js';
import type { Broker, HubEntry } from './broker.js';
import type { Delivery } from './delivery.js';
import { compareIds, isHubId } from './ids.js';
import { slotOf } from './latest-values.js';
import type { Subscription } from './subscription.js';

/**
 * Starts the replay of `subscription` once this turn is over, as one with every other replay
 * its stream asks for in the same turn (several `subscribe` calls in a row). A replay that fails
 * (a backend outage) goes to `onError` and closes the stream: its client resumes later.
 */
export function replayAtEndOfTurn<Events extends EventMap>(
  broker: Broker,
  delivery: Delivery<Events>,
  subscription: Subscription<Events>,
  onError: (error: unknown) => void,
  isLatest: (topic: string) => boolean,
): void {
  const state = subscription.state;
  const batch = state.replayBatch;
  if (batch !== undefined && batch[0]?.replayFrom === subscription.replayFrom) {
    batch.push(subscription);
    return;
  }
  const subscriptions = [subscription];
  state.replayBatch = subscriptions;
  queueMicrotask(() => {
    if (state.replayBatch === subscriptions) state.replayBatch = undefined;
    replayThenLive(broker, delivery, subscriptions, isLatest).catch((error: unknown) => {
      onError(error);
      state.stream.close();
    });
  });
}

/**
 * Runs one replay for `subscriptions` (of one stream, each in the `replaying` phase after the
 * same id) and makes them live. Their entries go out merged in id order: replayed one after the
 * other, a topic's older entries would follow another's newer ones, and a position given at the
 * end of the first replay would skip what the second had not sent yet. Latest-value topics
 * (`isLatest`) are not replayed: the broker's snapshot of them (the latest entry per key) is
 * merged in instead.
 */
export async function replayThenLive<Events extends EventMap>(
  broker: Broker,
  delivery: Delivery<Events>,
  subscriptions: readonly Subscription<Events>[],
  isLatest: (topic: string) => boolean,
): Promise<void> {
  const leader = subscriptions.find((subscription) => !subscription.isGone);
  if (leader === undefined || leader.phase.name !== 'replaying') return;
  const stream = leader.stream;
  const { from: afterId, snapshotAll } = leader.phase;
  const allGone = () => subscriptions.every((subscription) => subscription.isGone);
  const owner = (entry: HubEntry) =>
    subscriptions.find((subscription) => subscription.topics.has(entry.topic));
  const topics = new Set(subscriptions.flatMap((subscription) => [...subscription.topics]));
  const latestTopics = new Set([...topics].filter(isLatest));
  const plainTopics = new Set([...topics].filter((topic) => !latestTopics.has(topic)));
  // The replay covers at least up to the cursor when it starts (the broker's promise).
  const startCursor = broker.cursor(topics);
  const resumedAt = afterId !== undefined && isHubId(afterId) ? afterId : undefined;
  // A new stream's snapshot holds entries older than where its replay of plain topics starts.
  let position = snapshotAll ? undefined : resumedAt;
  let lastSent = position;
  /** Hands one entry on, once, to the subscription of its topic; `true` when it was sent. */
  const handOn = (entry: HubEntry): boolean => {
    if (position !== undefined && compareIds(entry.id, position) <= 0) return false;
    position = entry.id;
    const subscription = owner(entry);
    if (subscription === undefined) return false;
    subscription.cover(entry.id);
    if (!subscription.owes(entry) || !delivery.offer(subscription, entry)) return false;
    lastSent = entry.id;
    return subscription.backedUp;
  };
  const snapshot =
    latestTopics.size === 0
      ? []
      : ((await broker.snapshot?.(latestTopics, snapshotAll ? undefined : resumedAt)) ?? []);
  let fromSnapshot = 0;
  /** Hands on the snapshot's entries older than `id` (all with `undefined`); `false` once all left. */
  const handOnSnapshot = async (id: string | undefined): Promise<boolean> => {
    for (let entry = snapshot[fromSnapshot]; entry !== undefined; entry = snapshot[fromSnapshot]) {
      if (id !== undefined && compareIds(entry.id, id) >= 0) break;
      fromSnapshot += 1;
      if (handOn(entry)) await stream[whenWritable]();
      if (allGone()) return false;
    }
    return !allGone();
  };
  if (afterId !== undefined && plainTopics.size > 0) {
    for await (const page of broker.replay(afterId, plainTopics)) {
      if (allGone()) return;
      if (page === 'reset') {
        delivery.sendReset([leader], startCursor, 'unknown-id');
        // The client refetches its state: the latest values follow the reset, older ids or not.
        position = undefined;
        if (!(await handOnSnapshot(undefined))) return;
        position = laterOf(position, startCursor);
        lastSent = position;
        break;
      }
      for (const entry of page) {
        if (!(await handOnSnapshot(entry.id))) return;
        if (handOn(entry)) await stream[whenWritable]();
        if (allGone()) return;
      }
    }
  }
  if (!(await handOnSnapshot(undefined)) || stream.isClosed) return;
  position = laterOf(position, startCursor);
  // Held entries are in id order in each list; those up to `position` were covered by the
  // replay. Entries held while this loop sends (a filter that publishes) are taken in turn.
  const taken = subscriptions.map(() => 0);
  for (let entry = nextHeld(subscriptions, taken); entry !== undefined; ) {
    handOn(entry);
    entry = nextHeld(subscriptions, taken);
  }
  if (stream.isClosed) return;
  const live = broker.cursor(topics);
  for (const subscription of subscriptions) {
    if (subscription.isGone || subscription.phase.name !== 'replaying') continue;
    delivery.counts.replays += 1;
    subscription.finishReplay(position, live);
  }
  const teller = subscriptions.find(
    (subscription) => !subscription.isGone && subscription.tellsPosition,
  );
  if (teller !== undefined && position !== undefined && position !== lastSent) {
    delivery.sendCursor(teller, position);
  }
}

/** The later of two positions; either may be unknown. */
function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareIds(a, b) >= 0 ? a : b;
}

/**
 * The oldest entry held by any of `subscriptions` not taken yet (`taken[i]` counts what was
 * taken from the i-th's `held`; an entry of `heldLatest` is taken by removing it), or
 * `undefined` when none is left.
 */
function nextHeld<Events extends EventMap>(
  subscriptions: readonly Subscription<Events>[],
  taken: number[],
): HubEntry | undefined {
  let oldest: HubEntry | undefined;
  let from = -1;
  let fromLatest: Map<string, HubEntry> | undefined;
  subscriptions.forEach((subscription, index) => {
    const phase = subscription.phase;
    if (phase.name !== 'replaying') return;
    const head = phase.held[taken[index] as number];
    if (head !== undefined && (oldest === undefined || compareIds(head.id, oldest.id) < 0)) {
      oldest = head;
      from = index;
      fromLatest = undefined;
    }
    const latest = phase.heldLatest?.values().next().value;
    if (latest !== undefined && (oldest === undefined || compareIds(latest.id, oldest.id) < 0)) {
      oldest = latest;
      fromLatest = phase.heldLatest;
    }
  });
  const entry = oldest as HubEntry | undefined;
  if (entry !== undefined && fromLatest !== undefined) {
    fromLatest.delete(slotOf(entry.topic, entry.key as string));
  } else if (from >= 0) {
    taken[from] = (taken[from] as number) + 1;
  }
  return entry;
}
