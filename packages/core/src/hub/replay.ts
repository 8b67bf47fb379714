/**
 * Replay, then live, for one subscription with a `Last-Event-ID`: the retained entries after it,
 * under the stream's backpressure, then the live entries held meanwhile, skipping every id
 * already covered, so the client misses nothing and gets nothing twice.
 */
import type { EventMap } from '../sse-stream.js';
import { whenWritable } from '../waiting-writers.js';
import type { Broker } from './broker.js';
import type { Delivery } from './delivery.js';
import { compareIds, isHubId } from './ids.js';
import type { Subscription } from './subscription.js';

/**
 * Runs the replay of a subscription in the `replaying` phase and makes it live.
 * @param startCursor - the broker's cursor when the subscription started.
 */
export async function replayThenLive<Events extends EventMap>(
  broker: Broker,
  delivery: Delivery<Events>,
  subscription: Subscription<Events>,
  startCursor: string | undefined,
): Promise<void> {
  if (subscription.phase.name !== 'replaying') return;
  const afterId = subscription.phase.from;
  let position: string | undefined = isHubId(afterId) ? afterId : undefined;
  let lastSent = position;
  const topics = new Set(subscription.topics);
  for await (const page of broker.replay(afterId, topics)) {
    if (subscription.isGone) return;
    if (page === 'reset') {
      delivery.sendReset([subscription], startCursor, 'unknown-id');
      position = startCursor;
      lastSent = startCursor;
      break;
    }
    for (const entry of page) {
      if (position !== undefined && compareIds(entry.id, position) <= 0) continue;
      position = entry.id;
      subscription.cover(entry.id);
      if (!subscription.owes(entry)) continue;
      if (delivery.offer(subscription, entry)) lastSent = entry.id;
      if (subscription.backedUp) await subscription.stream[whenWritable]();
      if (subscription.isGone) return;
    }
  }
  const phase = subscription.phase;
  if (subscription.isGone || phase.name !== 'replaying') return;
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
    subscription.cover(entry.id);
    if (!subscription.owes(entry)) continue;
    if (delivery.offer(subscription, entry)) lastSent = entry.id;
  }
  if (subscription.isGone) return;
  subscription.finishReplay(position, broker.cursor(topics));
  if (position !== undefined && position !== lastSent) delivery.sendCursor(subscription, position);
}
