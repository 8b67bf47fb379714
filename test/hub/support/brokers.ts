/**
 * Real brokers with the timing of a remote backend: the in-process broker wrapped so that a
 * replay or a snapshot starts late (live events published meanwhile are also in the replay) or
 * live delivery lags behind publish (a client can hold an id this instance has not delivered yet).
 */
import type { Broker, BrokerListener, ReplayPage } from '@ssekit/core/broker';
import { sleep } from '../../support/wait.js';

/** What a wrapper of `inner` passes on as it is: publish, live delivery, its position, close. */
function passedOn(inner: Broker): Omit<Broker, 'replay'> {
  return {
    publish: (entry) => inner.publish(entry),
    subscribe: (listener) => inner.subscribe(listener),
    cursor: (topics) => inner.cursor(topics),
    // A broker that reads only what its subscribers need (Redis) learns of them through this.
    interest: (topic, subscribed) => inner.interest?.(topic, subscribed),
    close: () => inner.close(),
  };
}

/** Replays start `delayMs` late and yield one entry per page, each after a short pause. */
export function slowReplay(inner: Broker, delayMs: number): Broker {
  return {
    ...passedOn(inner),
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

/** Snapshots (latest values) are read `delayMs` late, as a remote backend's read is. */
export function slowSnapshot(inner: Broker, delayMs: number): Broker {
  return {
    ...passedOn(inner),
    replay: (afterId, topics) => inner.replay(afterId, topics),
    snapshot: async (topics, afterId) => {
      await sleep(delayMs);
      return (await inner.snapshot?.(topics, afterId)) ?? [];
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
