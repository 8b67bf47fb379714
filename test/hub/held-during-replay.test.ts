/**
 * The live events a hub holds for a stream while its replay runs (and the plain events it holds
 * behind latest values) are judged as its sends are: a client that stops reading mid-replay is cut
 * off once what it owes passes `maxBufferedBytes` (held events included), while one reading at
 * full speed takes any burst published in one turn whole. Real sockets: a node:http client that
 * stops reading, a fetch reader with eventsource-parser.
 */
import { createHub, type Hub, memoryHistory, RESET_EVENT, type SseStream } from '@ssekit/core';
import { createSseStream } from '@ssekit/core/adapter';
import { localBroker } from '@ssekit/core/broker';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { sleep, until } from '../support/wait.js';
import { slowReplay, slowSnapshot } from './support/brokers.js';
import { fetchReader, range, readerProcess, sequence, slowReader } from './support/clients.js';
import { hubTest } from './support/fixture.js';
import type { HubServer } from './support/server.js';

const { readers, paused, serve } = hubTest();

const MAX_BUFFERED = 256 * 1024;
const EVENT_BYTES = 10 * 1024;

/**
 * Publishes `{ seq, padding }` on topic `t` for each `seq` from `from` up to `to`, one a turn,
 * until `stream` closes; returns the `seq` it stopped at.
 */
async function publishOneATurn(
  hub: Hub,
  stream: SseStream,
  from: number,
  to: number,
  padding: string,
): Promise<number> {
  let seq = from;
  for (; seq < to && !stream.isClosed; seq++) {
    await hub.publish('t', { data: { seq, padding } });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return seq;
}

describe.each(['close', 'drop'] as const)(
  'a client that stops reading while its replay runs (onOverflow %s)',
  (policy) => {
    // Under 'drop' too: a held event dropped would leave a hole in the replay's id order.
    it('is closed once the live events held for it pass maxBufferedBytes', {
      timeout: 60_000,
    }, async () => {
      const { hub, server } = await serve(
        { history: memoryHistory({ maxEvents: 5000 }) },
        { stream: { maxBufferedBytes: MAX_BUFFERED, onOverflow: policy, heartbeat: false } },
      );
      // 20 MiB of history: more than loopback's socket buffers, so the replay stalls on the client.
      const padding = 'h'.repeat(EVENT_BYTES);
      const first = await hub.publish('t', { data: { seq: 0, padding } });
      for (let seq = 1; seq < 2000; seq++) await hub.publish('t', { data: { seq, padding } });
      const client = slowReader(server.url, first);
      paused.push(client);
      await client.response;
      const stream = server.streams[0] as HubServer['streams'][0];
      // Stalled for real once the socket's buffers are full: nothing more leaves the stream.
      let before = -1;
      for (
        let looks = 0;
        looks < 50 && (before === 0 || before !== stream.bufferedBytes);
        looks++
      ) {
        before = stream.bufferedBytes;
        await sleep(200);
      }
      expect(stream.bufferedBytes).toBeGreaterThan(0);
      expect(stream.bufferedBytes).toBe(before);
      // Live events, one a turn, held behind the stalled replay: 20 MiB at most.
      const live = (await publishOneATurn(hub, stream, 2000, 4000, padding)) - 2000;
      expect(stream.isClosed).toBe(true);
      // What it owes is judged: closed after about maxBufferedBytes of held events (the socket may
      // still have taken some on a loaded machine), not after 20 MiB.
      expect(live * EVENT_BYTES, `${live} events held`).toBeLessThan(4 * MAX_BUFFERED);
      expect(hub.stats().overflows).toBe(1);
    });
  },
);

describe('a client reading at full speed while its replay runs', () => {
  it('gets a burst of 20,000 events published in one loop whole', {
    timeout: 60_000,
  }, async () => {
    const { hub, server } = await serve(
      { broker: slowReplay(localBroker({ history: memoryHistory({ maxEvents: 30_000 }) }), 50) },
      { stream: { maxBufferedBytes: MAX_BUFFERED, onOverflow: 'close', heartbeat: false } },
    );
    const first = await hub.publish('t', { data: { seq: 0 } });
    for (let seq = 1; seq < 200; seq++) await hub.publish('t', { data: { seq } });
    const reader = fetchReader(server.url, first);
    readers.push(reader);
    await until(() => hub.stats().openStreams === 1, 'the stream');
    // The replay starts 50 ms late and takes a millisecond an entry: the burst is held behind it.
    const burst = 20_000;
    const published: Promise<string>[] = [];
    for (let seq = 200; seq < 200 + burst; seq++)
      published.push(hub.publish('t', { data: { seq } }));
    await Promise.all(published);
    await until(
      () => sequence(reader.events).length === 199 + burst,
      () => `${199 + burst} events; got ${sequence(reader.events).length}`,
      30_000,
    );
    expect(sequence(reader.events)).toEqual(range(1, 199 + burst));
    const stream = server.streams[0] as HubServer['streams'][0];
    expect(stream.isClosed).toBe(false);
    expect(stream.overflows).toBe(0);
    expect(hub.stats().overflows).toBe(0);
  });
});

// The replay's pace is the server's here (its own writes, a slow backend), not the client's: a
// client that has taken what it was given owes nothing of what is held meanwhile.
describe('a client reading at full speed behind a replay paced by the server', () => {
  it('is not cut off by live events larger than the replay writes a turn, one a turn', {
    timeout: 60_000,
  }, async () => {
    const { hub, server } = await serve(
      { history: memoryHistory({ maxEvents: 30_000 }) },
      { stream: { maxBufferedBytes: MAX_BUFFERED, onOverflow: 'close', heartbeat: false } },
    );
    const first = await hub.publish('t', { data: { seq: 0 } });
    for (let seq = 1; seq < 20_000; seq++) await hub.publish('t', { data: { seq } });
    const reader = fetchReader(server.url, first);
    readers.push(reader);
    await until(() => hub.stats().openStreams === 1, 'the stream');
    const stream = server.streams[0] as HubServer['streams'][0];
    const padding = 'l'.repeat(100 * 1024);
    const seq = await publishOneATurn(hub, stream, 20_000, 20_100, padding);
    await until(
      () => stream.isClosed || sequence(reader.events).length === seq - 1,
      () => `${seq - 1} events; got ${sequence(reader.events).length}`,
      30_000,
    );
    expect(stream.overflows).toBe(0);
    expect(sequence(reader.events)).toEqual(range(1, seq - 1));
  });

  it('a new client is not cut off while a slow snapshot holds the plain topic beside it', {
    timeout: 60_000,
  }, async () => {
    const { hub, server } = await serve(
      { broker: slowSnapshot(localBroker(), 100), latestValue: (topic) => topic === 'prices' },
      { stream: { maxBufferedBytes: MAX_BUFFERED, onOverflow: 'close', heartbeat: false } },
    );
    for (let key = 0; key < 100; key++) {
      await hub.publish('prices', { data: { key } }, { key: `k${key}` });
    }
    const reader = fetchReader(`${server.url}?topics=prices,t`);
    readers.push(reader);
    await until(() => hub.stats().openStreams === 1, 'the stream');
    const stream = server.streams[0] as HubServer['streams'][0];
    // 2 MiB of plain events, one a turn, while the snapshot is read: eight times the limit.
    const padding = 'x'.repeat(4096);
    await publishOneATurn(hub, stream, 1, 513, padding);
    const plain = () =>
      reader.events
        .map((event) => JSON.parse(event.data) as { seq?: number })
        .flatMap((data) => (data.seq === undefined ? [] : [data.seq]));
    await until(
      () => stream.isClosed || plain().length === 512,
      () => `512 events; got ${plain().length}`,
    );
    expect(stream.overflows).toBe(0);
    expect(plain()).toEqual(range(1, 512));
  });
});

describe('a client reading at full speed while latest values are held for it', () => {
  it('gets bursts of plain events published in one loop each, back to back, whole', {
    timeout: 60_000,
  }, async () => {
    const { hub, server } = await serve(
      { latestValue: (topic) => topic === 'prices' },
      { stream: { maxBufferedBytes: MAX_BUFFERED, onOverflow: 'close', heartbeat: false } },
    );
    // In a process of its own: it reads while this one publishes, as a browser would.
    const received = readerProcess(`${server.url}?topics=prices,t`);
    await until(() => hub.stats().openStreams === 1, 'the stream');
    const stream = server.streams[0] as HubServer['streams'][0];
    // Each burst, in one loop, the next in the next turn: plain events past the high-water mark,
    // a latest value (now held for the client, which is behind), then more plain events: 2.4 MiB,
    // nine times the limit.
    const padding = 'x'.repeat(4096);
    const bursts = 5;
    const total = bursts * 600;
    for (let burst = 0; burst < bursts; burst++) {
      const published: Promise<string>[] = [];
      for (let seq = burst * 600 + 1; seq <= (burst + 1) * 600; seq++) {
        if (seq % 600 === 100) {
          published.push(hub.publish('prices', { event: 'price', data: seq }, { key: 'k1' }));
        }
        published.push(hub.publish('t', { data: { seq, padding } }));
      }
      await Promise.all(published);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(
      () => stream.isClosed || (hub.stats().eventsDelivered >= total && stream.bufferedBytes === 0),
      'every event handed to the socket',
    );
    expect(stream.overflows).toBe(0);
    stream.close();
    const events = await received;
    expect(sequence(events)).toEqual(range(1, total));
    // The latest values too, and no reset: nothing was dropped.
    const names = events.map((event) => event.event);
    expect(names).toContain('price');
    expect(names).not.toContain(RESET_EVENT);
  });
});

/** Reads `reader` to its end with eventsource-parser: the events so far, and the end. */
function readAll(reader: ReadableStreamDefaultReader<Uint8Array>) {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const decoder = new TextDecoder();
  const reading = (async () => {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      parser.feed(decoder.decode(chunk.value, { stream: true }));
    }
  })();
  return { events, reading };
}

/** A hub with latest values on `prices`, and a stream of `prices` and `news` the test reads. */
function pricesAndNews(onOverflow: 'close' | 'drop') {
  const hub = createHub({ latestValue: (topic) => topic === 'prices' });
  const stream = createSseStream({ maxBufferedBytes: MAX_BUFFERED, onOverflow, heartbeat: false });
  hub.subscribe(stream, ['prices', 'news']);
  return { hub, stream };
}

describe('a client reading slower than a plain topic is published, behind latest values', () => {
  it('is cut off: what waits for it stays within maxBufferedBytes', async () => {
    const { hub, stream } = pricesAndNews('close');
    const reader = stream.readable.getReader();
    const padding = 'n'.repeat(100 * 1024);
    // Behind: one event above the high-water mark.
    await hub.publish('news', { data: { seq: 0, padding } });
    let rounds = 0;
    for (; rounds < 100 && !stream.isClosed; rounds++) {
      // Each round, a latest value while it is behind (held for it from then on), and two plain
      // events; it reads one event's worth each round.
      await hub.publish('prices', { event: 'price', data: rounds }, { key: 'k1' });
      await hub.publish('news', { data: { seq: 2 * rounds + 1, padding } });
      await hub.publish('news', { data: { seq: 2 * rounds + 2, padding } });
      await new Promise((resolve) => setImmediate(resolve));
      for (let read = 0; read < padding.length && !stream.isClosed; ) {
        const { value } = await reader.read();
        read += value?.byteLength ?? padding.length;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Unjudged, what waits for it would grow by 100 KiB a round, for ever: 10 MiB by the last.
    expect(stream.isClosed).toBe(true);
    expect(rounds * padding.length, `closed after ${rounds} rounds`).toBeLessThan(8 * MAX_BUFFERED);
    expect(hub.stats().overflows).toBe(1);
    await hub.close();
  });
});

describe('a client that stops reading behind latest values', () => {
  const KIB = 1024;

  /** A stream on `prices` (latest values) and `news`, behind, with a value held for it. */
  async function behindLatestValues(onOverflow: 'close' | 'drop', also: string[] = []) {
    const { hub, stream } = pricesAndNews(onOverflow);
    const leaveAlso = also.length > 0 ? hub.subscribe(stream, also) : () => {};
    // Its reader takes what the stream opened with (the cursor), then stops.
    const reader = stream.readable.getReader();
    await reader.read();
    await hub.publish('news', { data: { seq: 0, padding: 'n'.repeat(100 * KIB) } });
    await hub.publish('prices', { event: 'price', data: 1 }, { key: 'k1' });
    let seq = 0;
    /** Publishes one news event of 10 KiB, then lets a turn go by. */
    const news = async () => {
      seq += 1;
      await hub.publish('news', { data: { seq, padding: 'm'.repeat(10 * KIB) } });
      await new Promise((resolve) => setImmediate(resolve));
    };
    return { hub, stream, reader, news, published: () => seq, leaveAlso };
  }

  it("under 'drop', owes nothing for the events dropped: once it reads, the next are taken", async () => {
    const { hub, stream, reader, news } = await behindLatestValues('drop');
    for (let i = 0; i < 200 && stream.overflows === 0; i++) await news();
    for (let i = 0; i < 30; i++) await news();
    const overflows = stream.overflows;
    expect(overflows).toBe(31);
    for (let read = 0; read < 200 * KIB; ) read += (await reader.read()).value?.byteLength ?? 0;
    for (let i = 0; i < 10; i++) await news();
    expect(stream.overflows - overflows, 'of the 10 published after it read').toBe(0);
    await hub.close();
  });

  it("under 'drop', is told of the events dropped where they were: after those held before them", async () => {
    const { hub, stream, reader, news, published } = await behindLatestValues('drop');
    for (let i = 0; i < 200 && stream.overflows === 0; i++) await news();
    await news();
    const lastKept = published() - stream.overflows;
    // It reads everything from now on.
    const { events, reading } = readAll(reader);
    await until(() => stream.bufferedBytes === 0, 'what was held to go out');
    await news();
    await until(() => sequence(events).includes(published()), 'the event after');
    stream.close();
    await reading;
    await hub.close();
    const told = events.map((event) =>
      event.event === RESET_EVENT ? 'reset' : (event.event ?? JSON.parse(event.data).seq),
    );
    // Every news kept, then the reset, then the next: nothing kept comes after it.
    expect(told.slice(told.indexOf('reset') - 1)).toEqual([lastKept, 'reset', published()]);
    expect(told.filter((name) => name === 'reset')).toHaveLength(1);
    expect(sequence(events)).toEqual([...range(0, lastKept), published()]);
    // Ids ascend: the reset carries the id of the last event dropped.
    const ids = events.map((event) => (event.id ?? '').split('-').map(Number) as [number, number]);
    for (let index = 1; index < ids.length; index++) {
      const [before, after] = [ids[index - 1] as [number, number], ids[index] as [number, number]];
      expect(after[0] - before[0] || after[1] - before[1]).toBeGreaterThan(0);
    }
  });

  it('owes nothing for the events of a topic it left', async () => {
    const held = async (also: string[]) => {
      const { hub, stream, news, leaveAlso } = await behindLatestValues('close', also);
      for (let i = 0; i < also.length * 10; i++) {
        await hub.publish('extra', { data: { i, padding: 'e'.repeat(20 * KIB) } });
        await new Promise((resolve) => setImmediate(resolve));
      }
      leaveAlso();
      let count = 0;
      for (; count < 100 && !stream.isClosed; count++) await news();
      await hub.close();
      return count;
    };
    // 200 KiB of `extra` held, then forgotten as it leaves: it is cut off after as many news
    // events as without them.
    expect(await held(['extra'])).toBe(await held([]));
  });
});

describe("a client reading slower than a plain topic behind latest values, under 'drop'", () => {
  it('holds the server to maxBufferedBytes and its values: what is held does not grow with time', async () => {
    const KIB = 1024;
    const { hub, stream } = pricesAndNews('drop');
    const reader = stream.readable.getReader();
    const keys = 100;
    const value = 'v'.repeat(250);
    const news = 'n'.repeat(KIB);
    let largest = 0;
    // Each round, every key updated with a 1 KiB news event after each; it reads one chunk.
    for (let round = 0; round < 300; round++) {
      for (let key = 0; key < keys; key++) {
        await hub.publish('prices', { event: 'price', data: value }, { key: `k${key}` });
        await hub.publish('news', { data: news });
      }
      await new Promise((resolve) => setImmediate(resolve));
      await reader.read();
      largest = Math.max(largest, stream.bufferedBytes);
    }
    // Bounded by the limit (held, then queued as it goes out), a high-water mark and one value
    // per key, not by the rounds: it grew by about 7 KiB a round (2.3 MB after 100, 5.4 MB after
    // 600) when its reads of what was queued paid for what was held.
    const bound = 2 * MAX_BUFFERED + 64 * KIB + keys * value.length;
    expect(largest, `${largest} bytes buffered at most`).toBeLessThan(bound);
    expect(stream.isClosed).toBe(false);
    await hub.close();
  });
});

describe('a replay that starts while latest values are held for the client', () => {
  it('waits for them to go out as it reads: no replayed entry follows a newer id', async () => {
    const hub = createHub({ latestValue: (topic) => topic === 'prices' });
    const resumeAt = await hub.publish('zero', { data: 'z' });
    const stream = createSseStream({ lastEventId: resumeAt, heartbeat: false });
    hub.subscribe(stream, ['prices', 'bulk']);
    const reader = stream.readable.getReader();
    // Behind (200 KiB unread), a value written, then one held after an entry of `other`.
    for (let i = 0; i < 20; i++) await hub.publish('bulk', { data: 'b'.repeat(10 * 1024) });
    await hub.publish('prices', { event: 'price', data: 'p1' }, { key: 'a' });
    await hub.publish('other', { event: 'other', data: 'o1' });
    await hub.publish('prices', { event: 'price', data: 'p2' }, { key: 'b' });
    // A topic subscribed now is replayed from the stream's Last-Event-ID: o1.
    hub.subscribe(stream, 'other');
    await hub.publish('other', { event: 'other', data: 'o2' });
    const { events, reading } = readAll(reader);
    await until(() => events.some((event) => event.data === 'o2'), 'o2');
    stream.close();
    await reading;
    await hub.close();
    const told = events.filter((event) => event.event !== undefined).map((e) => e.data);
    // o1 cannot follow p2, which is newer: a reset (at p2's id) says it is gone instead.
    expect(told).toEqual(['p1', 'p2', 'events-lost', 'o2']);
  });
});
