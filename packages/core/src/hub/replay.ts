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
    replayThenLive(broker, delivery, subscriptions).catch((error: unknown) => {
      onError(error);
      state.stream.close();
    });
  });
}

/**
 * Runs one replay for `subscriptions` (of one stream, each in the `replaying` phase after the
 * same id) and makes them live. Their entries go out merged in id order: replayed one after the
 * other, a topic's older entries would follow another's newer ones, and a position given at the
 * end of the first replay would skip what the second had not sent yet.
 */
export async function replayThenLive<Events extends EventMap>(
  broker: Broker,
  delivery: Delivery<Events>,
  subscriptions: readonly Subscription<Events>[],
): Promise<void> {
  const leader = subscriptions.find((subscription) => !subscription.isGone);
  if (leader === undefined || leader.phase.name !== 'replaying') return;
  const stream = leader.stream;
  const afterId = leader.phase.from;
  const allGone = () => subscriptions.every((subscription) => subscription.isGone);
  const owner = (entry: HubEntry) =>
    subscriptions.find((subscription) => subscription.topics.has(entry.topic));
  const topics = new Set(subscriptions.flatMap((subscription) => [...subscription.topics]));
  // The replay covers at least up to the cursor when it starts (the broker's promise).
  const startCursor = broker.cursor(topics);
  let position: string | undefined = isHubId(afterId) ? afterId : undefined;
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
  for await (const page of broker.replay(afterId, topics)) {
    if (allGone()) return;
    if (page === 'reset') {
      delivery.sendReset([leader], startCursor, 'unknown-id');
      position = startCursor;
      lastSent = startCursor;
      break;
    }
    for (const entry of page) {
      if (handOn(entry)) await stream[whenWritable]();
      if (allGone()) return;
    }
  }
  if (stream.isClosed) return;
  if (
    position !== undefined &&
    startCursor !== undefined &&
    compareIds(startCursor, position) > 0
  ) {
    position = startCursor;
  }
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

/**
 * The oldest entry held by any of `subscriptions` not taken yet (`taken[i]` counts what was
 * taken from the i-th), or `undefined` when none is left.
 */
function nextHeld<Events extends EventMap>(
  subscriptions: readonly Subscription<Events>[],
  taken: number[],
): HubEntry | undefined {
  let oldest: HubEntry | undefined;
  let from = -1;
  subscriptions.forEach((subscription, index) => {
    const phase = subscription.phase;
    const head = phase.name === 'replaying' ? phase.held[taken[index] as number] : undefined;
    if (head !== undefined && (oldest === undefined || compareIds(head.id, oldest.id) < 0)) {
      oldest = head;
      from = index;
    }
  });
  if (from >= 0) taken[from] = (taken[from] as number) + 1;
  return oldest;
}
