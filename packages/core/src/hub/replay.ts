/**
 * Replay, then live, for one subscriber with a `Last-Event-ID`: the retained entries after it,
 * under the stream's backpressure, then the live entries held meanwhile, skipping every id
 * already covered, so the client misses nothing and gets nothing twice.
 */
import { whenWritable } from '../waiting-writers.js';
import type { Broker, HubEntry } from './broker.js';
import type { Delivery } from './delivery.js';
import { compareIds, isHubId } from './ids.js';
import { isGone, LIVE, type Subscriber } from './subscriber.js';

/**
 * Runs the replay of a subscriber in the `replaying` phase and makes it live.
 * @param startCursor - the broker's cursor when the subscription started.
 */
export async function replayThenLive(
  broker: Broker,
  delivery: Delivery,
  subscriber: Subscriber,
  afterId: string,
  topics: ReadonlySet<string>,
  startCursor: string | undefined,
): Promise<void> {
  let position: string | undefined = isHubId(afterId) ? afterId : undefined;
  let lastSent = position;
  for await (const page of broker.replay(afterId, topics)) {
    if (isGone(subscriber)) return;
    if (page === 'reset') {
      delivery.sendReset(subscriber, startCursor, 'unknown-id');
      position = startCursor;
      lastSent = startCursor;
      break;
    }
    for (const entry of page) {
      if (position !== undefined && compareIds(entry.id, position) <= 0) continue;
      position = entry.id;
      cover(subscriber, entry.id);
      if (!owed(subscriber, entry)) continue;
      if (delivery.offer(subscriber, entry)) lastSent = entry.id;
      if (subscriber.backedUp) await subscriber.stream[whenWritable]();
      if (isGone(subscriber)) return;
    }
  }
  const phase = subscriber.phase;
  if (isGone(subscriber) || phase.name !== 'replaying') return;
  delivery.counts.replays += 1;
  // The replay covered at least up to the cursor taken when the subscription started.
  if (
    position !== undefined &&
    startCursor !== undefined &&
    compareIds(startCursor, position) > 0
  ) {
    position = startCursor;
  }
  // Held entries are in id order; those up to `position` were covered by the replay. Entries
  // held while this loop sends (a filter that publishes) are appended and sent in turn.
  for (const entry of phase.held) {
    if (position !== undefined && compareIds(entry.id, position) <= 0) continue;
    position = entry.id;
    cover(subscriber, entry.id);
    if (!owed(subscriber, entry)) continue;
    if (delivery.offer(subscriber, entry)) lastSent = entry.id;
  }
  if (isGone(subscriber)) return;
  markReplayed(subscriber);
  const live = broker.cursor();
  subscriber.phase =
    position !== undefined && live !== undefined && compareIds(position, live) > 0
      ? { name: 'live', sentUpTo: position }
      : LIVE;
  if (position !== undefined && position !== lastSent) delivery.sendCursor(subscriber, position);
}

/** Notes how far the replay has gone, so leaving a topic now keeps what was already sent. */
function cover(subscriber: Subscriber, id: string): void {
  if (subscriber.phase.name === 'replaying') subscriber.phase.coveredTo = id;
}

/**
 * Whether the client still needs `entry`: not when its topic was left during this replay, nor
 * when an earlier replay of the topic, left halfway, already handed it on.
 */
function owed(subscriber: Subscriber, entry: HubEntry): boolean {
  if (!subscriber.topics.has(entry.topic)) return false;
  const before = subscriber.record.replayedTo?.get(entry.topic);
  return before === undefined || compareIds(entry.id, before) > 0;
}

/** The topics' replay is finished: subscribed again later, they continue live. */
function markReplayed(subscriber: Subscriber): void {
  const record = subscriber.record;
  record.replayed ??= new Set();
  for (const topic of subscriber.topics) {
    record.replayed.add(topic);
    record.replayedTo?.delete(topic);
  }
}
