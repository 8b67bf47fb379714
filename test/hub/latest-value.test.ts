/**
 * Latest-value topics (`createHub({ latestValue })`), over real sockets: a new or resuming
 * client gets the latest event per key instead of the history; a client that falls behind is
 * not cut off, holds at most one event per key, and gets the newest value of each key, in the
 * order of their last updates, once it reads again. A plain topic beside it keeps its policy.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub, type Hub, memoryHistory, RESET_EVENT, SseStream } from '@ssekit/core';
import { compareIds, type History, type HubEntry, localBroker } from '@ssekit/core/broker';
import { openSseStream } from '@ssekit/core/node';
import { describe, expect, it } from 'vitest';
import { sleep, until } from '../support/wait.js';
import { fetchReader, range, slowReader } from './support/clients.js';
import { hubTest } from './support/fixture.js';
import type { HubServer } from './support/server.js';

const { readers, paused, serve } = hubTest();
const latestValue = (topic: string) => topic.startsWith('prices');

/** `key=value` of each default event, in arrival order. */
function values(events: ReadonlyArray<{ event?: string | undefined; data: string }>): string[] {
  return events
    .filter((event) => event.event === undefined)
    .map((event) => {
      const { key, value } = JSON.parse(event.data) as { key: string; value: unknown };
      return `${key}=${value}`;
    });
}

function publishPrice(hub: Hub, key: string, value: number | string, topic = 'prices') {
  return hub.publish(topic, { data: { key, value } }, { key });
}

describe('a client connecting to a latest-value topic', () => {
  it('gets the latest event per key, in the order of their last updates, then live events', async () => {
    const { hub, server } = await serve({ latestValue });
    for (const [key, value] of [
      ['AAPL', 1],
      ['MSFT', 1],
      ['AAPL', 2],
      ['GOOG', 1],
      ['MSFT', 2],
    ] as const) {
      await publishPrice(hub, key, value);
    }
    const reader = fetchReader(`${server.url}?topics=prices`);
    readers.push(reader);
    await until(() => values(reader.events).length === 3, 'the snapshot');
    await publishPrice(hub, 'AAPL', 3);
    await until(() => values(reader.events).length === 4, 'a live event');
    expect(values(reader.events)).toEqual(['AAPL=2', 'GOOG=1', 'MSFT=2', 'AAPL=3']);
    expectIdsAscending(reader.events);
  });

  it('resuming with Last-Event-ID, gets only the keys updated since, once each', async () => {
    const { hub, server } = await serve({ latestValue });
    await publishPrice(hub, 'AAPL', 1);
    const seen = await publishPrice(hub, 'MSFT', 1);
    await publishPrice(hub, 'AAPL', 2);
    await publishPrice(hub, 'GOOG', 1);
    await publishPrice(hub, 'AAPL', 3);
    const resumed = fetchReader(`${server.url}?topics=prices`, seen);
    readers.push(resumed);
    await until(() => values(resumed.events).length === 2, 'the keys updated since');
    await publishPrice(hub, 'MSFT', 2);
    await until(() => values(resumed.events).length === 3, 'a live event');
    expect(values(resumed.events)).toEqual(['GOOG=1', 'AAPL=3', 'MSFT=2']);
    expectIdsAscending(resumed.events);
  });

  it('resuming with an id from another process, gets every key (no reset: there is no gap)', async () => {
    const { hub, server } = await serve({ latestValue });
    await publishPrice(hub, 'AAPL', 1);
    await publishPrice(hub, 'MSFT', 1);
    const resumed = fetchReader(`${server.url}?topics=prices`, '1000-5');
    readers.push(resumed);
    await until(() => values(resumed.events).length === 2, 'the snapshot');
    expect(values(resumed.events)).toEqual(['AAPL=1', 'MSFT=1']);
    expect(resumed.events.filter((event) => event.event === 'ssekit:reset')).toEqual([]);
  });

  it.each([
    ['in one subscribe call', 'news,prices'],
    ['in two calls in a row, the plain one last', 'prices;news'],
  ])(
    'with a plain topic beside (%s), gets the snapshot, then both live, ids in order',
    async (_, topics) => {
      const { hub, server } = await serve({ latestValue });
      await hub.publish('news', { data: { key: 'news', value: 'before' } });
      await publishPrice(hub, 'AAPL', 1);
      const reader = fetchReader(`${server.url}?topics=${topics}`);
      readers.push(reader);
      await until(() => values(reader.events).length === 1, 'the snapshot');
      await hub.publish('news', { data: { key: 'news', value: 'after' } });
      await publishPrice(hub, 'AAPL', 2);
      await until(() => values(reader.events).length === 3, 'the live events');
      expect(values(reader.events)).toEqual(['AAPL=1', 'news=after', 'AAPL=2']);
      expectIdsAscending(reader.events);
    },
  );
  it('with a plain topic beside, resuming with an id older than the history: the reset, then live, ids in order', async () => {
    const { hub, server } = await serve({ latestValue, history: memoryHistory({ maxEvents: 5 }) });
    const old = await hub.publish('news', { data: { key: 'news', value: 0 } });
    await publishPrice(hub, 'AAPL', 1);
    for (let i = 1; i <= 10; i++) await hub.publish('news', { data: { key: 'news', value: i } });
    const reader = fetchReader(`${server.url}?topics=prices,news`, old);
    readers.push(reader);
    await until(() => reader.events.some((event) => event.event === RESET_EVENT), 'the reset');
    await publishPrice(hub, 'AAPL', 2);
    await until(() => values(reader.events).includes('AAPL=2'), 'the live event');
    // The client reloads its state on the reset: AAPL=1, older than the reset's id, would take
    // its Last-Event-ID back.
    expect(reader.events[0]?.event).toBe(RESET_EVENT);
    expect(values(reader.events)).toEqual(['AAPL=2']);
    expectIdsAscending(reader.events);
  });
});

describe('while the snapshot is read from a slow backend', () => {
  /** The in-process broker whose snapshot is answered by `answer`, given the real read. */
  function withSnapshot(
    answer: (read: () => Promise<readonly HubEntry[]>) => Promise<readonly HubEntry[]>,
  ) {
    const inner = localBroker();
    return {
      publish: inner.publish.bind(inner),
      subscribe: inner.subscribe.bind(inner),
      replay: inner.replay.bind(inner),
      cursor: inner.cursor.bind(inner),
      close: inner.close.bind(inner),
      snapshot: (topics: ReadonlySet<string>, afterId: string | undefined) =>
        answer(async () => (await inner.snapshot?.(topics, afterId)) ?? []),
    };
  }

  /** The in-process broker whose snapshot answers `delayMs` late. */
  const slowSnapshot = (delayMs: number) =>
    withSnapshot(async (read) => {
      const entries = await read();
      await sleep(delayMs);
      return entries;
    });

  it('events published meanwhile follow it, the newest per key once, nothing twice', async () => {
    const { hub, server } = await serve({ latestValue, broker: slowSnapshot(200) });
    await publishPrice(hub, 'AAPL', 1);
    await publishPrice(hub, 'MSFT', 1);
    const reader = fetchReader(`${server.url}?topics=prices`);
    readers.push(reader);
    await until(() => hub.stats().openStreams === 1, 'the subscription');
    for (let round = 2; round <= 50; round++) {
      await publishPrice(hub, 'AAPL', round);
      if (round % 10 === 5) await publishPrice(hub, 'MSFT', round);
    }
    await until(() => values(reader.events).includes('AAPL=50'), 'the newest value');
    await publishPrice(hub, 'GOOG', 1);
    await until(() => values(reader.events).includes('GOOG=1'), 'a live event');
    expect(values(reader.events)).toEqual(['AAPL=1', 'MSFT=1', 'MSFT=45', 'AAPL=50', 'GOOG=1']);
    expectIdsAscending(reader.events);
  });

  it('thousands of updates held meanwhile that the snapshot covers: skipped, the stream stays', async () => {
    let asked = false;
    let answer = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    // The snapshot is read only once the test lets it: after every update below, so it covers them.
    const broker = withSnapshot(async (read) => {
      asked = true;
      await answered;
      return read();
    });
    const errors: unknown[] = [];
    const { hub, server } = await serve(
      { latestValue, broker, onError: (error) => errors.push(error) },
      { stream: { heartbeat: false } },
    );
    const reader = fetchReader(`${server.url}?topics=prices`);
    readers.push(reader);
    await until(() => asked, 'the snapshot read');
    const keys = 20_000;
    await Promise.all(Array.from({ length: keys }, (_, i) => publishPrice(hub, `k${i}`, 1)));
    answer();
    await publishPrice(hub, 'last', 1);
    const last = () => reader.events.some((event) => event.data.includes('"key":"last"'));
    await until(() => last() || reader.isDone(), 'the last value');
    expect(errors).toEqual([]);
    expect(server.streams[0]?.isClosed).toBe(false);
    expect(values(reader.events)).toHaveLength(keys + 1);
  });

  it('a client that leaves before it is answered frees everything', async () => {
    const { hub, server } = await serve({ latestValue, broker: slowSnapshot(100) });
    await publishPrice(hub, 'AAPL', 1);
    const reader = fetchReader(`${server.url}?topics=prices`);
    await until(() => hub.stats().openStreams === 1, 'the subscription');
    reader.abort();
    for (let round = 2; round <= 20; round++) await publishPrice(hub, 'AAPL', round);
    await until(() => hub.stats().openStreams === 0, 'the stream to close');
    await sleep(150);
    expect(hub.stats().subscribers).toEqual({});
    expect(hub.stats().eventsDelivered).toBe(0);
  });
});

describe('a client that falls behind', () => {
  // Small enough that the stuck client would be cut off (onOverflow 'close') many times over.
  const stream = { maxBufferedBytes: 128 * 1024, onOverflow: 'close', heartbeat: false } as const;
  const payload = 'x'.repeat(8 * 1024);
  const keys = ['AAPL', 'MSFT', 'GOOG', 'AMZN'];

  /** Publishes to `topic` until the slow client's bytes wait in the server's queue. */
  async function fallBehind(hub: Hub, server: HubServer, topics: string, key?: string) {
    const topic = topics.split(',')[0] as string;
    const client = slowReader(`${server.url}?topics=${topics}`);
    paused.push(client);
    await client.response;
    const slow = server.streams.at(-1) as HubServer['streams'][0];
    for (let i = 0; i < 2000 && slow.bufferedBytes === 0; i++) {
      await hub.publish(topic, { data: { key: 'fill', value: payload } }, key ? { key } : {});
      await sleep(1);
    }
    expect(slow.bufferedBytes).toBeGreaterThan(0);
    return { client, slow };
  }

  it('on a latest-value topic, stays connected, holds one event per key, then gets the newest of each', {
    timeout: 30_000,
  }, async () => {
    const { hub, server } = await serve({ latestValue }, { stream });
    const { client, slow } = await fallBehind(hub, server, 'prices', 'fill');
    let largest = 0;
    for (let round = 1; round <= 200; round++) {
      for (const key of keys) await publishPrice(hub, key, `${round}${payload}`);
      largest = Math.max(largest, slow.bufferedBytes);
      // The overflow policy judges what a client left unread across turns: give it turns.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(slow.isClosed).toBe(false);
    expect(hub.stats().overflows).toBe(0);
    expect(largest).toBeLessThanOrEqual(stream.maxBufferedBytes);

    client.resume();
    const last = (key: string) => `${key}=200${payload}`;
    await until(
      () => keys.every((key) => values(client.events).includes(last(key))),
      'the newest value of every key',
    );
    const got = values(client.events).filter((text) => !text.startsWith('fill='));
    // Conflated: far fewer than the 800 published, the newest of each key last, in update order.
    expect(got.length).toBeLessThan(400);
    expect(got.slice(-4)).toEqual(keys.map(last));
    expectIdsAscending(client.events);
    await publishPrice(hub, 'AAPL', 'live');
    await until(() => values(client.events).includes('AAPL=live'), 'live events after');
    expect(slow.isClosed).toBe(false);
  });

  it('once it leaves a topic, gets none of the values held for it', {
    timeout: 30_000,
  }, async () => {
    const hub = createHub({ latestValue });
    const leave: Array<() => void> = [];
    const { server, url } = await listenWith((req, res) => {
      const opened = openSseStream(req, res, stream);
      hub.subscribe(opened, 'prices:b');
      leave.push(hub.subscribe(opened, 'prices'));
    });
    try {
      const client = slowReader(url);
      paused.push(client);
      await client.response;
      await until(() => leave.length === 1, 'the subscription');
      for (let i = 0; i < 2000 && !client.ended(); i++) {
        await publishPrice(hub, 'fill', payload, 'prices:b');
        await sleep(1);
        if (hub.stats().eventsDelivered < i + 1) break;
      }
      // Behind: what follows is held, not written.
      await publishPrice(hub, 'AAPL', 'held');
      await publishPrice(hub, 'MSFT', 'last', 'prices:b');
      leave[0]?.();
      client.resume();
      await until(
        () => values(client.events).includes('MSFT=last'),
        'the value of the other topic',
      );
      expect(values(client.events).filter((text) => text.startsWith('AAPL='))).toEqual([]);
    } finally {
      await hub.close();
      server.closeAllConnections();
      server.close();
    }
  });

  it('on a plain topic, is cut off by onOverflow as before', { timeout: 30_000 }, async () => {
    const { hub, server } = await serve({ latestValue }, { stream });
    const { slow } = await fallBehind(hub, server, 'news');
    for (let round = 1; round <= 200 && !slow.isClosed; round++) {
      await hub.publish('news', { data: { key: 'news', value: `${round}${payload}` } });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(slow.isClosed).toBe(true);
    expect(hub.stats().overflows).toBeGreaterThan(0);
  });

  it.each(['close', 'drop'] as const)(
    "with a quiet plain topic beside (onOverflow '%s'), is not cut off, and gets every key's newest value and every plain event",
    { timeout: 30_000 },
    async (onOverflow) => {
      const { hub, server } = await serve({ latestValue }, { stream: { ...stream, onOverflow } });
      const { client, slow } = await fallBehind(hub, server, 'prices,news', 'fill');
      // 100 rounds of every key (3.2 MB) and ten small news items, a turn each.
      for (let round = 1; round <= 100; round++) {
        for (const key of keys) await publishPrice(hub, key, `${round}${payload}`);
        if (round % 10 === 0) await hub.publish('news', { data: { key: 'news', value: round } });
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect({ closed: slow.isClosed, overflows: hub.stats().overflows }).toEqual({
        closed: false,
        overflows: 0,
      });
      client.resume();
      await until(() => values(client.events).includes('news=100'), 'the last news');
      await until(
        () => keys.every((key) => values(client.events).includes(`${key}=100${payload}`)),
        'the newest value of every key',
      );
      expectIdsAscending(client.events);
      const news = values(client.events).filter((text) => text.startsWith('news='));
      expect(news).toEqual(range(1, 10).map((tenth) => `news=${tenth * 10}`));
    },
  );

  it.each(['close', 'drop'] as const)(
    "with values held, a plain topic flooding it still overflows it (onOverflow '%s')",
    { timeout: 30_000 },
    async (onOverflow) => {
      const { hub, server } = await serve({ latestValue }, { stream: { ...stream, onOverflow } });
      const { client, slow } = await fallBehind(hub, server, 'prices,news', 'fill');
      // Held for it now: the plain events wait behind the value, and count as owed.
      for (let round = 1; round <= 100 && !slow.isClosed; round++) {
        await publishPrice(hub, 'AAPL', round);
        await hub.publish('news', { data: { key: 'news', value: `${round}${payload}` } });
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(slow.isClosed).toBe(onOverflow === 'close');
      expect(hub.stats().overflows).toBeGreaterThan(0);
      if (onOverflow === 'close') return;
      // What was dropped is told before the next event the client gets.
      client.resume();
      await until(() => slow.bufferedBytes === 0, 'the client to catch up');
      await hub.publish('news', { data: { key: 'news', value: 'after' } });
      await until(() => values(client.events).includes('news=after'), 'the event after the gap');
      const resets = client.events.filter((event) => event.event === 'ssekit:reset');
      expect(resets.map((event) => event.data)).toEqual(['events-lost']);
    },
  );

  it('with a plain topic beside, gets its events in id order, the held values first', {
    timeout: 30_000,
  }, async () => {
    const { hub, server } = await serve(
      { latestValue },
      { stream: { ...stream, maxBufferedBytes: 4 * 1024 * 1024 } },
    );
    const { client, slow } = await fallBehind(hub, server, 'prices,news', 'fill');
    for (let round = 1; round <= 20; round++) {
      for (const key of keys) await publishPrice(hub, key, round);
      if (round % 5 === 0) await hub.publish('news', { data: { key: 'news', value: round } });
    }
    expect(slow.isClosed).toBe(false);
    client.resume();
    await until(() => values(client.events).includes('news=20'), 'the last news');
    expectIdsAscending(client.events);
    expect(values(client.events).filter((text) => text.startsWith('news='))).toEqual([
      'news=5',
      'news=10',
      'news=15',
      'news=20',
    ]);
    expect(values(client.events).slice(-1)).toEqual(['news=20']);
  });
});

describe('bad input', () => {
  it('a publish to a latest-value topic needs a non-empty string key; others take none', () => {
    const hub = createHub({ latestValue });
    const code = { code: 'ERR_SSE_INVALID_OPTION' };
    expect(() => hub.publish('prices', { data: 1 })).toThrow(TypeError);
    expect(() => hub.publish('prices', { data: 1 })).toThrow(
      /"key".*e\.g\. hub\.publish\('prices', message, \{ key: 'AAPL' \}\)/,
    );
    expect(() => hub.publish('prices', { data: 1 }, { key: '' })).toThrow(
      expect.objectContaining(code),
    );
    expect(() => hub.publish('prices', { data: 1 }, { key: 5 as unknown as string })).toThrow(
      /got number/,
    );
    expect(() => hub.publish('news', { data: 1 }, { key: 'a' })).toThrow(
      /"news" is not one.*latestValue/,
    );
    expect(() => hub.publish('prices', { data: 1 }, { kye: 'a' } as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_SSE_UNKNOWN_OPTION',
        message: expect.stringContaining('did you mean "key"'),
      }),
    );
    return hub.close();
  });

  it('subscribe options must be an object', () => {
    const hub = createHub({ latestValue });
    const stream = new SseStream({ heartbeat: false });
    for (const options of [null, 'prices', 5]) {
      expect(() => hub.subscribe(stream, 'prices', options as never)).toThrow(
        expect.objectContaining({
          name: 'TypeError',
          code: 'ERR_SSE_INVALID_ARGUMENT',
          message: expect.stringMatching(
            /hub\.subscribe options must be an object.*leave the argument out/,
          ),
        }),
      );
    }
    expect(hub.stats().subscribers).toEqual({});
    stream.close();
    return hub.close();
  });

  it('a truthy latestValue answer counts as true', async () => {
    const hub = createHub({
      latestValue: ((topic: string) => (topic === 'prices' ? 'yes' : 0)) as never,
    });
    expect(() => hub.publish('prices', { data: 1 })).toThrow(/"prices" is a latest-value topic/);
    expect(() => hub.publish('news', { data: 1 }, { key: 'a' })).toThrow(/"news" is not one/);
    await hub.publish('prices', { data: 1 }, { key: 'AAPL' });
    return hub.close();
  });

  it('latestValue must be a function, over a store that keeps the latest value per key', () => {
    expect(() => createHub({ latestValue: ['prices'] as never })).toThrow(
      /latestValue.*\(topic\) => boolean/,
    );
    const history = memoryHistory();
    const noLatest: History = {
      append: (entry) => history.append(entry),
      entriesAfter: (afterId, topics) => history.entriesAfter(afterId, topics),
    };
    expect(() => createHub({ latestValue, history: noLatest })).toThrow(
      expect.objectContaining({
        code: 'ERR_SSE_INVALID_OPTION',
        message: expect.stringContaining('snapshot'),
      }),
    );
  });
});

/** A node:http server on 127.0.0.1 with `handler`. */
async function listenWith(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

function expectIdsAscending(events: ReadonlyArray<{ id?: string | undefined }>): void {
  const ids = events
    .map((event) => event.id)
    .filter((id): id is string => id !== undefined && id !== '');
  for (let i = 1; i < ids.length; i++) {
    expect(
      compareIds(ids[i - 1] as string, ids[i] as string),
      `${ids[i - 1]} before ${ids[i]}`,
    ).toBeLessThan(0);
  }
}
