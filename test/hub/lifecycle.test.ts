import { createHub, RESET_EVENT, type SseStream } from '@ssekit/core';
import { heartbeatRegistry } from '@ssekit/core/adapter';
import { type Broker, type BrokerListener, localBroker } from '@ssekit/core/broker';
import { describe, expect, it } from 'vitest';
import { until } from '../support/wait.js';
import { slowReplay } from './support/brokers.js';
import { eventSourceClient, fetchReader, sequence } from './support/clients.js';
import { hubTest } from './support/fixture.js';

const { readers, sources, serve } = hubTest();

const CLOSED = 2;

describe('maxConnections', () => {
  it('turns a client away with a retry hint that EventSource honours, and lets it in later', async () => {
    const { hub, server } = await serve({ maxConnections: 2, busyRetry: 100 });
    const first = eventSourceClient(server.url);
    const second = eventSourceClient(server.url);
    sources.push(first, second);
    await until(() => hub.stats().openStreams === 2, 'two streams');

    const turnedAway = fetchReader(server.url);
    readers.push(turnedAway);
    await turnedAway.done;
    expect(turnedAway.retries.at(-1)).toBe(100);
    expect(turnedAway.events).toEqual([]);

    const third = eventSourceClient(server.url);
    sources.push(third);
    let everClosed = false;
    third.source.addEventListener('error', () => {
      if (third.source.readyState === CLOSED) everClosed = true;
    });
    await until(() => hub.stats().connectionsRejected >= 4, 'the third client to retry');
    expect(third.opens()).toBeGreaterThanOrEqual(2);
    expect(hub.stats().openStreams).toBe(2);

    first.close();
    await until(
      () => hub.stats().openStreams === 2 && third.source.readyState === 1,
      'the third client to get in',
    );
    await hub.publish('t', { data: { seq: 1 } });
    await until(() => third.events.length === 1 && second.events.length === 1, 'the event');
    expect(sequence(third.events)).toEqual([1]);
    expect(everClosed).toBe(false);
  });
});

describe('hub.close()', () => {
  it('sends the retry hint, ends every stream, refuses newcomers, and lets server.close() finish', async () => {
    const { hub, server } = await serve({}, { stream: { heartbeat: 1000 } });
    for (let i = 0; i < 3; i++) readers.push(fetchReader(server.url));
    const source = eventSourceClient(server.url);
    sources.push(source);
    await until(() => hub.stats().openStreams === 4, 'four streams');
    await hub.publish('t', { data: { seq: 1 } });

    await hub.close({ retry: 250 });
    await Promise.all(readers.map((reader) => reader.done));
    for (const reader of readers) {
      expect(reader.retries.at(-1)).toBe(250);
      expect(sequence(reader.events)).toEqual([1]);
    }
    expect(hub.stats().openStreams).toBe(0);
    expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
    await expect(hub.publish('t', { data: { seq: 2 } })).rejects.toMatchObject({
      code: 'ERR_SSE_HUB_CLOSED',
      message: expect.stringMatching(/closed/),
    });

    await until(() => hub.stats().connectionsRejected >= 1, 'the EventSource to come back');
    expect(source.source.readyState).not.toBe(CLOSED);
    source.close();
    const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
    server.server.closeIdleConnections();
    await closed;
  });

  it("stops a pipe on a subscribed stream and calls its source's return()", async () => {
    const { hub, server } = await serve({}, { stream: { heartbeat: false } });
    const reader = fetchReader(server.url);
    readers.push(reader);
    await until(() => hub.stats().openStreams === 1, 'the stream');
    const state = { pulled: 0, released: false };
    async function* ticks() {
      try {
        for (;;) yield { event: 'tick', data: String(++state.pulled) };
      } finally {
        state.released = true;
      }
    }
    const piped = (server.streams[0] as SseStream).pipe(ticks());
    await until(() => reader.events.length >= 50, 'piped events');
    await hub.close();
    expect(await piped).toBe(false);
    expect(state.released).toBe(true);
    await reader.done;
  });

  it('stops a replay that is under way, without errors', async () => {
    const errors: unknown[] = [];
    const { hub, server } = await serve({
      broker: slowReplay(localBroker(), 5),
      onError: (e) => errors.push(e),
    });
    const ids: string[] = [];
    for (let seq = 1; seq <= 200; seq++) ids.push(await hub.publish('t', { data: { seq } }));
    const reader = fetchReader(server.url, ids[0]);
    readers.push(reader);
    await until(() => sequence(reader.events).length >= 5, 'the replay to start');
    await hub.close();
    await reader.done;
    const received = sequence(reader.events);
    expect(received.length).toBeLessThan(199);
    expect(received).toEqual(received.map((_, index) => index + 2));
    expect(hub.stats()).toMatchObject({ openStreams: 0, subscribers: {}, replaysServed: 0 });
    expect(errors).toEqual([]);
  });
});

describe('filters', () => {
  it('delivers per-user events live and in replays, once each', async () => {
    const { hub, server } = await serve(
      {},
      {
        subscribe: (url) => ({
          filter: (message) => (message.data as { to: string }).to === url.searchParams.get('user'),
        }),
      },
    );
    const ann = fetchReader(`${server.url}?user=ann`);
    const bob = fetchReader(`${server.url}?user=bob`);
    readers.push(ann, bob);
    await until(() => hub.stats().openStreams === 2, 'two streams');
    await hub.publish('t', { data: { to: 'ann', seq: 1 } });
    await hub.publish('t', { data: { to: 'bob', seq: 2 } });
    await hub.publish('t', { data: { to: 'ann', seq: 3 } });
    await until(
      () => sequence(ann.events).length === 2 && sequence(bob.events).length === 1,
      'live',
    );
    expect(sequence(ann.events)).toEqual([1, 3]);
    expect(sequence(bob.events)).toEqual([2]);

    bob.abort();
    await bob.done;
    const bobLast = bob.events.at(-1)?.id;
    await hub.publish('t', { data: { to: 'bob', seq: 4 } });
    await hub.publish('t', { data: { to: 'ann', seq: 5 } });
    await hub.publish('t', { data: { to: 'bob', seq: 6 } });
    const bobAgain = fetchReader(`${server.url}?user=bob`, bobLast);
    readers.push(bobAgain);
    await until(() => sequence(bobAgain.events).length === 2, 'the replay');
    await hub.publish('t', { data: { to: 'bob', seq: 7 } });
    await until(() => sequence(bobAgain.events).length === 3, 'live after the replay');
    expect(sequence(bobAgain.events)).toEqual([4, 6, 7]);
    expect(sequence(ann.events)).toEqual([1, 3, 5]);
  });

  it('reports a throwing filter and skips only that subscriber', async () => {
    const errors: unknown[] = [];
    const { hub, server } = await serve(
      { onError: (error) => errors.push(error) },
      {
        subscribe: (url) =>
          url.searchParams.has('broken')
            ? {
                filter: () => {
                  throw new Error('broken filter');
                },
              }
            : {},
      },
    );
    const broken = fetchReader(`${server.url}?broken`);
    const fine = fetchReader(server.url);
    readers.push(broken, fine);
    await until(() => hub.stats().openStreams === 2, 'two streams');
    await hub.publish('t', { data: { seq: 1 } });
    await until(() => sequence(fine.events).length === 1, 'the event');
    expect(sequence(broken.events)).toEqual([]);
    expect(errors).toHaveLength(1);
  });
});

describe('events lost by the broker', () => {
  it('sends every live subscriber the reset signal with the position to resume from', async () => {
    let listener: BrokerListener | undefined;
    const inner = localBroker();
    const broker: Broker = {
      ...inner,
      publish: (entry) => inner.publish(entry),
      replay: (afterId, topics) => inner.replay(afterId, topics),
      cursor: () => inner.cursor(),
      close: () => inner.close(),
      subscribe: (given) => {
        listener = given;
        return inner.subscribe(given);
      },
    };
    const { hub, server } = await serve({ broker });
    const reader = fetchReader(`${server.url}?topics=t,u`);
    readers.push(reader);
    await until(() => hub.stats().openStreams === 1, 'the stream');
    const id = await hub.publish('u', { data: { seq: 1 } });
    listener?.reset();
    await until(() => reader.events.length === 3, 'the reset');
    expect(reader.events[2]).toMatchObject({ event: RESET_EVENT, id, data: 'events-lost' });
    expect(hub.stats().resetsSent).toBe(1);
  });
});

it.each([
  [{ serializer: 'json' }, /createHub "serializer" must be a function/],
  [{ deserializer: 'json' }, /createHub "deserializer" must be a function/],
  [{ history: {} }, /createHub "history" must be an object with append\(\) as a method/],
  [{ broker: {} }, /createHub "broker" must be an object with publish\(\) as a method/],
  [{ broker: null }, /createHub "broker" must be an object .*got null/],
])('a createHub option of the wrong shape (%o) is a TypeError naming it', (options, message) => {
  expect(() => createHub(options as never)).toThrow(
    expect.objectContaining({ name: 'TypeError', code: 'ERR_SSE_INVALID_OPTION' }),
  );
  expect(() => createHub(options as never)).toThrow(message);
});
