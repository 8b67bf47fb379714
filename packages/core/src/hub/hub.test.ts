import { describe, expect, it } from 'vitest';
import { createSseStream } from '../sse-stream.js';
import { createHub } from './hub.js';
import { localBroker } from './local-broker.js';
import { memoryHistory } from './memory-history.js';

const quiet = () => createSseStream({ heartbeat: false });

describe('createHub input checks', () => {
  it('refuses both a history and a broker', () => {
    expect(() => createHub({ history: memoryHistory(), broker: localBroker() })).toThrow(
      /"history" or "broker"/,
    );
  });

  it('refuses limits that are not positive whole numbers, naming them', () => {
    expect(() => createHub({ maxConnections: 0 })).toThrow(/maxConnections/);
    expect(() => createHub({ busyRetry: -1 })).toThrow(/busyRetry/);
  });
});

describe('hub.publish input checks', () => {
  const hub = createHub();

  it('needs a non-empty topic', () => {
    expect(() => hub.publish('', { data: 1 })).toThrow(/topic/);
    expect(() => hub.publish(42 as unknown as string, { data: 1 })).toThrow(TypeError);
  });

  // A Redis broker stores text as UTF-8: 'user:\uD800' would come back as another topic.
  it('needs a topic, and a latest-value key, of well-formed text', () => {
    const surrogate = expect.objectContaining({
      name: 'TypeError',
      message: expect.stringMatching(/"user:\\ud800" holds half of a UTF-16 surrogate pair/),
    });
    expect(() => hub.publish('user:\uD800', { data: 1 })).toThrow(surrogate);
    expect(() => hub.subscribe(quiet(), ['ok', 'user:\uD800'])).toThrow(surrogate);
    const latest = createHub({ latestValue: (topic) => topic === 'prices' });
    expect(() => latest.publish('prices', { data: 1 }, { key: 'A\uDC00' })).toThrow(
      expect.objectContaining({
        code: 'ERR_SSE_INVALID_OPTION',
        message: expect.stringMatching(/"key" holds half/),
      }),
    );
    expect(() => hub.publish('user:🎉', { data: 1 })).not.toThrow();
  });

  it('takes only event and data, and needs data', () => {
    expect(() => hub.publish('t', { data: 1, id: '5' } as never)).toThrow(/assigns ids/);
    expect(() => hub.publish('t', { event: 'x' } as never)).toThrow(/needs "data"/);
  });

  it('validates the event name and the serialized data like stream.send', () => {
    expect(() => hub.publish('t', { event: 'a\nb', data: 1 })).toThrow(/CR or LF/);
    expect(() => hub.publish('t', { data: 10n })).toThrow(/serializer/);
  });

  it('calls the serializer once and leaves strings alone', async () => {
    let calls = 0;
    const counted = createHub({
      serializer: (value) => {
        calls += 1;
        return JSON.stringify(value);
      },
    });
    const stream = quiet();
    counted.subscribe(stream, 't');
    await counted.publish('t', { data: 'plain text' });
    await counted.publish('t', { data: { n: 1 } });
    expect(calls).toBe(1);
    stream.close();
  });
});

describe('hub.subscribe input checks', () => {
  const hub = createHub();

  it('needs at least one non-empty topic', () => {
    expect(() => hub.subscribe(quiet(), [])).toThrow(/non-empty array of topics/);
    expect(() => hub.subscribe(quiet(), ['ok', ''])).toThrow(/topic/);
  });

  it('needs a function as filter', () => {
    expect(() => hub.subscribe(quiet(), 't', { filter: 'yes' as never })).toThrow(/filter/);
  });

  it('needs a boolean as cursor, and subscribes nothing otherwise', () => {
    const stream = quiet();
    expect(() => hub.subscribe(stream, 't', { cursor: 'no' as never })).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        code: 'ERR_SSE_INVALID_OPTION',
        message: expect.stringMatching(/"cursor" must be true or false/),
      }),
    );
    expect(hub.stats().openStreams).toBe(0);
    stream.close();
  });

  it('ignores a stream that is already closed', () => {
    const stream = quiet();
    stream.close();
    hub.subscribe(stream, 't');
    expect(hub.stats().openStreams).toBe(0);
  });

  it('ends the subscription when unsubscribe is called, leaving the stream open', async () => {
    const stream = quiet();
    const unsubscribe = hub.subscribe(stream, ['a', 'b']);
    expect(hub.stats().subscribers).toEqual({ a: 1, b: 1 });
    unsubscribe();
    expect(hub.stats()).toMatchObject({ openStreams: 0, subscribers: {} });
    expect(stream.isClosed).toBe(false);
    stream.close();
  });
});

describe('entries from a broker', () => {
  it('reports and skips an entry that cannot be framed, instead of throwing at the broker', async () => {
    const errors: unknown[] = [];
    const inner = localBroker();
    const hub = createHub({
      onError: (error) => errors.push(error),
      broker: {
        ...inner,
        publish: (entry) => inner.publish({ ...entry, event: 'bad\nname' }),
        subscribe: (listener) => inner.subscribe(listener),
        replay: (afterId, topics) => inner.replay(afterId, topics),
        cursor: () => inner.cursor(),
        close: () => inner.close(),
      },
    });
    const stream = quiet();
    hub.subscribe(stream, 't');
    await expect(hub.publish('t', { data: 'x' })).resolves.toMatch(/^\d+-\d+$/);
    expect(errors).toHaveLength(1);
    expect(hub.stats().eventsDelivered).toBe(0);
    await hub.close();
  });
});

describe('hub.close input checks', () => {
  it('refuses a bad retry and stays open', async () => {
    const hub = createHub();
    expect(() => hub.close({ retry: -5 })).toThrow(/retry/);
    const stream = quiet();
    hub.subscribe(stream, 't');
    expect(hub.stats().openStreams).toBe(1);
    await hub.close({ retry: 100 });
    expect(stream.isClosed).toBe(true);
  });
});
