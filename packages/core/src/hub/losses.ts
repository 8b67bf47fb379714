/** What the hub does when its broker reports lost entries (Redis trimmed or failed over). */
import type { EventMap } from '../sse-stream.js';
import type { Delivery } from './delivery.js';
import type { Subscription } from './subscription.js';

/**
 * Live subscriptions get the reset signal at their position, one encoding per position (a
 * partitioned broker has one per group of topics); replaying ones (and those holding for their
 * stream's replay) are closed, reconnect and find out from their replay.
 */
export function resetAfterLoss<Events extends EventMap>(
  subscriptions: Iterable<Subscription<Events>>,
  delivery: Delivery<Events>,
  cursorOf: (topics: ReadonlySet<string>) => string | undefined,
): void {
  const live = new Map<string | undefined, Subscription<Events>[]>();
  for (const subscription of subscriptions) {
    if (subscription.phase.name !== 'live') {
      subscription.stream.close();
      continue;
    }
    const cursor = cursorOf(new Set(subscription.topics));
    const same = live.get(cursor);
    if (same === undefined) live.set(cursor, [subscription]);
    else same.push(subscription);
  }
  for (const [cursor, group] of live) delivery.sendReset(group, cursor, 'events-lost');
}
