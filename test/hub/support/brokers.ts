/**
 * Real brokers with the timing of a remote backend: the in-process broker wrapped so that a
 * replay starts late (live events published meanwhile are also in the replay) or live delivery
 * lags behind publish (a client can hold an id this instance has not delivered yet).
 */
import type { Broker, BrokerListener, ReplayPage } from '@ssekit/core/broker';
import { sleep } from '../../support/wait.js';

/** Replays start `delayMs` late and yield one entry per page, each after a short pause. */
export function slowReplay(inner: Broker, delayMs: number): Broker {
  return {
    publish: (entry) => inner.publish(entry),
    subscribe: (listener) => inner.subscribe(listener),
    cursor: (topics) => inner.cursor(topics),
    // A broker that reads only what its subscribers need (Redis) learns of them through this.
    interest: (topic, subscribed) => inner.interest?.(topic, subscribed),
    close: () => inner.close(),
    async *replay(afterId, topics): AsyncIterable<ReplayPage> {
      await sleep(delayMs);
      for await (const page of inner.replay(afterId, topics)) {
        if (page === 'reset') {
          yield page;
          return;
        }
        for (const entry of page) {
          await sleep(1);
          yield [entry];
        }
      }
    },
  };
}

/** Live delivery (and the cursor) trail publish by `lagMs`, in order. */
export function laggyDelivery(inner: Broker, lagMs: number): Broker {
  let cursor = inner.cursor();
  const listeners = new Set<BrokerListener>();
  const leave = inner.subscribe({
    entry: (entry) => {
      setTimeout(() => {
        cursor = entry.id;
        for (const listener of listeners) listener.entry(entry);
      }, lagMs);
    },
    reset: () => {
      for (const listener of listeners) listener.reset();
    },
  });
  return {
    publish: (entry) => inner.publish(entry),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    replay: (afterId, topics) => inner.replay(afterId, topics),
    cursor: () => cursor,
    close: () => {
      leave();
      return inner.close();
    },
  };
}
