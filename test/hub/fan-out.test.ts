import type { Hub } from '@ssekit/core';
import { heartbeatRegistry } from '@ssekit/core/adapter';
import { compareIds, localBroker } from '@ssekit/core/broker';
import { describe, expect, it } from 'vitest';
import { until } from '../support/wait.js';
import {
  eventSourceClient,
  type FetchReader,
  fetchReader,
  range,
  sequence,
} from './support/clients.js';
import { hubTest } from './support/fixture.js';

const { readers, sources, serve } = hubTest();

function countingSerializer() {
  const counter = { calls: 0 };
  const serializer = (value: unknown) => {
    counter.calls += 1;
    return JSON.stringify(value);
  };
  return { counter, serializer };
}

describe('hub fan-out over real sockets', () => {
  it('delivers every event, in order, to 200 clients, serializing each publish once', async () => {
    const { counter, serializer } = countingSerializer();
    const { hub, server } = await serve({ serializer });
    for (let i = 0; i < 100; i++) sources.push(eventSourceClient(server.url));
    for (let i = 0; i < 100; i++) readers.push(fetchReader(server.url));
    await until(
      () => hub.stats().openStreams === 200,
      () => `200 streams, have ${hub.stats().openStreams}`,
    );

    const published: string[] = [];
    for (let seq = 1; seq <= 50; seq++) published.push(await hub.publish('t', { data: { seq } }));

    const all = () => [
      ...sources.map((s) => s.events),
      ...readers.map((r) => r.events.filter((e) => e.event === undefined)),
    ];
    await until(
      () => all().every((events) => events.length === 50),
      'every client to get 50 events',
      20_000,
    );
    for (const events of all()) {
      expect(sequence(events)).toEqual(range(1, 50));
    }
    for (const source of sources)
      expect(source.events.map((e) => e.lastEventId)).toEqual(published);
    expect(counter.calls).toBe(50);
    const stats = hub.stats();
    expect(stats.eventsPublished).toBe(50);
    expect(stats.eventsDelivered).toBe(200 * 50);
    expect(stats.subscribers).toEqual({ t: 200 });
  });

  it('calls the serializer once per publish with per-subscriber filters and several topics', async () => {
    const { counter, serializer } = countingSerializer();
    const { hub, server } = await serve(
      { serializer },
      {
        subscribe: (url) => {
          const parity = Number(url.searchParams.get('parity'));
          return { filter: (message) => (message.data as { seq: number }).seq % 2 === parity };
        },
      },
    );
    for (let i = 0; i < 20; i++)
      readers.push(fetchReader(`${server.url}?topics=t,u&parity=${i % 2}`));
    await until(() => hub.stats().openStreams === 20, '20 streams');
    for (let seq = 1; seq <= 10; seq++) await hub.publish(seq <= 5 ? 't' : 'u', { data: { seq } });
    await until(
      () => readers.every((r) => r.events.filter((e) => !e.event).length === 5),
      'five events each',
    );
    expect(counter.calls).toBe(10);
    readers.forEach((reader, index) => {
      const expected = range(1, 10).filter((seq) => seq % 2 === index % 2);
      expect(sequence(reader.events.filter((e) => !e.event))).toEqual(expected);
    });
  });

  it('leaves no subscription, stream or heartbeat timer behind once clients leave', async () => {
    const { hub, server } = await serve({}, { stream: { heartbeat: 1000 } });
    for (let i = 0; i < 20; i++) readers.push(fetchReader(`${server.url}?topics=a,b`));
    for (let i = 0; i < 5; i++) sources.push(eventSourceClient(`${server.url}?topics=b`));
    await until(() => hub.stats().openStreams === 25, '25 streams');
    expect(hub.stats().subscribers).toEqual({ a: 20, b: 25 });
    expect(heartbeatRegistry().streams).toBe(25);
    for (const reader of readers) reader.abort();
    for (const source of sources) source.close();
    await until(
      () => hub.stats().openStreams === 0,
      () => `no streams, have ${hub.stats().openStreams}`,
    );
    expect(hub.stats().subscribers).toEqual({});
    await until(() => heartbeatRegistry().timers === 0, 'the heartbeat timer to stop');
    expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
    expect(server.streams.every((stream) => stream.isClosed)).toBe(true);
  });
});

describe('publishing from inside a delivery', () => {
  /** Publishes seq + 1 when it sees seq, up to `last`: one re-entrant publish per delivery. */
  const chain = (hub: () => Hub, last: number) => (data: unknown) => {
    const { seq } = data as { seq: number };
    if (seq < last) void hub().publish('t', { data: { seq: seq + 1 } });
  };

  it('a filter that publishes: every subscriber still gets events in publish order', async () => {
    let hub: Hub | undefined;
    const echo = chain(() => hub as Hub, 3);
    const served = await serve(
      {},
      {
        subscribe: (url) =>
          url.searchParams.has('echo')
            ? {
                filter: (message) => {
                  echo(message.data);
                  return true;
                },
              }
            : {},
      },
    );
    hub = served.hub;
    // The publishing subscriber is first in line, so later ones would see the nested publish first.
    const first = fetchReader(`${served.server.url}?echo`);
    readers.push(first);
    await until(() => served.hub.stats().openStreams === 1, 'the first stream');
    const later = [fetchReader(served.server.url), fetchReader(served.server.url)];
    const source = eventSourceClient(served.server.url);
    readers.push(...later);
    sources.push(source);
    await until(() => served.hub.stats().openStreams === 4, 'four streams');

    const published = await served.hub.publish('t', { data: { seq: 1 } });
    const messages = (reader: FetchReader) =>
      reader.events.filter((event) => event.event === undefined);
    await until(
      () => [first, ...later].every((reader) => messages(reader).length === 3),
      'three events each',
    );
    await until(() => source.events.length === 3, 'three events on the EventSource');
    for (const reader of [first, ...later]) {
      expect(sequence(messages(reader))).toEqual([1, 2, 3]);
      expect(messages(reader)[0]?.id).toBe(published);
    }
    expect(sequence(source.events)).toEqual([1, 2, 3]);
  });

  it('a broker listener that publishes: the hub still delivers in publish order', async () => {
    let hub: Hub | undefined;
    const echo = chain(() => hub as Hub, 3);
    const broker = localBroker();
    // Subscribed before the hub, so it hears each entry before the hub delivers it.
    broker.subscribe({ entry: (entry) => echo(JSON.parse(entry.data)), reset: () => {} });
    const served = await serve({ broker });
    hub = served.hub;
    const reader = fetchReader(served.server.url);
    const source = eventSourceClient(served.server.url);
    readers.push(reader);
    sources.push(source);
    await until(() => served.hub.stats().openStreams === 2, 'two streams');

    await served.hub.publish('t', { data: { seq: 1 } });
    await until(() => sequence(reader.events).length === 3, 'three events');
    await until(() => source.events.length === 3, 'three events on the EventSource');
    expect(sequence(reader.events)).toEqual([1, 2, 3]);
    expect(sequence(source.events)).toEqual([1, 2, 3]);
    const ids = source.events.map((event) => event.lastEventId);
    expect([...ids].sort(compareIds)).toEqual(ids);
  });
});
