/**
 * A replay that reads further than live delivery has got (Redis: XRANGE and HGETALL see an entry
 * before the instance's read loop hands it on), then more topics added to the stream: each event
 * still goes out once, and ids never go back. Live delivery here trails publish, as a Redis read
 * loop does; replays and snapshots read the history at once. Real sockets, a fetch reader.
 */
import type { SseStream } from '@ssekit/core';
import { type Broker, localBroker } from '@ssekit/core/broker';
import { describe, expect, it } from 'vitest';
import { until } from '../support/wait.js';
import { laggyDelivery } from './support/brokers.js';
import { type FetchReader, fetchReader } from './support/clients.js';
import { hubTest } from './support/fixture.js';

const { readers, serve } = hubTest();

/** Live delivery (and the cursor) trail publish by `ms`, over a broker with a snapshot. */
function trailing(ms: number): Broker {
  const inner = localBroker();
  return { ...laggyDelivery(inner, ms), snapshot: inner.snapshot };
}

/** The payloads of the events the client got, signals left out. */
const received = (reader: FetchReader) =>
  reader.events.filter((event) => event.event === undefined).map((event) => event.data);

const arrived = (reader: FetchReader, data: string) =>
  until(() => received(reader).includes(data), data);

describe('a replay that ran ahead of live delivery', () => {
  it('then a topic added: the replayed events are not sent again when live delivery brings them', async () => {
    const broker = trailing(300);
    const { hub, server } = await serve({ broker }, { stream: { heartbeat: false } });
    const first = await hub.publish('a', { data: 'a0' });
    await until(() => broker.cursor() === first, 'live delivery of a0');
    for (let i = 1; i <= 3; i++) await hub.publish('a', { data: `a${i}` });
    // The replay reads a1..a3 from the history; live delivery has not brought them yet.
    const reader = fetchReader(`${server.url}?topics=a`, first);
    readers.push(reader);
    await until(() => hub.stats().replaysServed === 1, 'the replay of a');
    hub.subscribe(server.streams[0] as SseStream, 'b');
    await hub.publish('b', { data: 'b1' });
    // Live delivery is in order: once a4 is here, a1..a3 came live before it.
    await hub.publish('a', { data: 'a4' });
    await arrived(reader, 'a4');
    expect(received(reader)).toEqual(['a1', 'a2', 'a3', 'b1', 'a4']);
  });
});
