/**
 * A topic a stream stops having while a replay runs on it (refused by `authorize` on a later
 * subscribe, or its last subscribe call undone): what was held for it meanwhile is dropped, so
 * nothing of it reaches the client after the denial or the unsubscribe. Real sockets, a fetch
 * reader with eventsource-parser; the replay trickles (one entry per page) so it is under way.
 */
import { CURSOR_EVENT, DENIED_EVENT, type SseStream } from '@ssekit/core';
import { type Broker, localBroker } from '@ssekit/core/broker';
import { describe, expect, it } from 'vitest';
import { until } from '../support/wait.js';
import { slowReplay } from './support/brokers.js';
import { type FetchReader, fetchReader } from './support/clients.js';
import { hubTest } from './support/fixture.js';

const { readers, serve } = hubTest();

/** The topics the application lets the client read; a test takes one away. */
const rights = new Set<string>();
const authorize = (topic: string) => rights.has(topic);
const latestValue = (topic: string) => topic === 'prices';

/** A replay that trickles, over a broker that keeps the latest value per key. */
function trickling(): Broker {
  const inner = localBroker();
  return { ...slowReplay(inner, 10), snapshot: inner.snapshot };
}

/** Publishes news n0…n300 and returns n0's id: a resume from it replays 300 entries. */
async function newsToReplay(hub: {
  publish(topic: string, event: { data: string }): Promise<string>;
}) {
  const first = await hub.publish('news', { data: 'n0' });
  for (let i = 1; i <= 300; i++) await hub.publish('news', { data: `n${i}` });
  return first;
}

/** Until `data` arrived; everything held and older has gone out before it (id order). */
const arrived = (reader: FetchReader, data: string) =>
  until(() => reader.events.some((event) => event.data === data), data);

/** What the client got, the replayed news and the position signals left out. */
const shown = (reader: FetchReader) =>
  reader.events
    .filter((event) => event.event !== CURSOR_EVENT)
    .map((event) => `${event.event ?? 'message'}:${event.data}`)
    .filter((text) => !/^message:n\d+$/.test(text));

describe('a topic refused on a later subscribe while the stream replays', () => {
  it('sends nothing held for it during its own replay after the denial', async () => {
    rights.clear();
    for (const topic of ['room:a', 'news']) rights.add(topic);
    const { hub, server } = await serve(
      { broker: trickling(), authorize, onError: () => {} },
      { stream: { heartbeat: false } },
    );
    const reader = fetchReader(`${server.url}?topics=room:a,news`, await newsToReplay(hub));
    readers.push(reader);
    await arrived(reader, 'n5');
    await hub.publish('room:a', { data: 'held, then refused' });
    rights.delete('room:a');
    hub.subscribe(server.streams[0] as SseStream, 'room:a');
    await hub.publish('news', { data: 'live' });
    await arrived(reader, 'live');
    expect(shown(reader)).toEqual([`${DENIED_EVENT}:room:a`, 'message:live']);
  });

  it('sends nothing held for it while it waited for another topic to replay', async () => {
    rights.clear();
    for (const topic of ['room:a', 'sports', 'news']) rights.add(topic);
    const { hub, server } = await serve(
      { broker: trickling(), authorize, onError: () => {} },
      { stream: { heartbeat: false } },
    );
    const first = await newsToReplay(hub);
    // Resumed without news: room:a and sports have nothing to replay and go live.
    const reader = fetchReader(`${server.url}?topics=room:a,sports`, first);
    readers.push(reader);
    await until(() => hub.stats().replaysServed === 1, 'room:a live');
    const stream = server.streams[0] as SseStream;
    // News added later replays; room:a holds its live events meanwhile.
    hub.subscribe(stream, 'news');
    await arrived(reader, 'n5');
    await hub.publish('room:a', { data: 'held, then refused' });
    rights.delete('room:a');
    hub.subscribe(stream, 'room:a');
    await hub.publish('news', { data: 'live' });
    await arrived(reader, 'live');
    expect(shown(reader)).toEqual([`${DENIED_EVENT}:room:a`, 'message:live']);
  });

  it('sends no value of a latest-value topic held for it after the denial', async () => {
    rights.clear();
    for (const topic of ['prices', 'news']) rights.add(topic);
    const { hub, server } = await serve(
      { broker: trickling(), authorize, latestValue, onError: () => {} },
      { stream: { heartbeat: false } },
    );
    const reader = fetchReader(`${server.url}?topics=prices,news`, await newsToReplay(hub));
    readers.push(reader);
    await arrived(reader, 'n5');
    await hub.publish('prices', { data: 'AAPL held, then refused' }, { key: 'AAPL' });
    rights.delete('prices');
    hub.subscribe(server.streams[0] as SseStream, 'prices');
    await hub.publish('news', { data: 'live' });
    await arrived(reader, 'live');
    expect(shown(reader)).toEqual([`${DENIED_EVENT}:prices`, 'message:live']);
  });
});

describe('a topic unsubscribed while the stream replays', () => {
  it('sends nothing held for it after its last subscribe call is undone', async () => {
    const { hub, server } = await serve({ broker: trickling() }, { stream: { heartbeat: false } });
    // Two calls: [room:a, news] then [news]; undoing the first leaves room:a only.
    const reader = fetchReader(`${server.url}?topics=room:a,news;news`, await newsToReplay(hub));
    readers.push(reader);
    await arrived(reader, 'n5');
    await hub.publish('room:a', { data: 'held, then left' });
    server.unsubscribes[0]?.();
    expect(hub.stats().subscribers).toEqual({ news: 1 });
    await hub.publish('news', { data: 'live' });
    await arrived(reader, 'live');
    expect(shown(reader)).toEqual(['message:live']);
  });
});
