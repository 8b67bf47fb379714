import { describe, expectTypeOf, it } from 'vitest';
import { type EncodedEvent, encodeEvent } from './encoded-event.js';
import { createSseStream, type EventMap, type SseMessage } from './sse-stream.js';

interface Alert {
  level: 'info' | 'critical';
  text: string;
}
type Events = { tick: { t: number }; alert: Alert };

describe('typed events', () => {
  const stream = createSseStream<Events>();

  it('accepts a known event with its payload', () => {
    expectTypeOf(stream.send).toBeCallableWith({ event: 'tick', data: { t: 1 } });
    expectTypeOf(stream.send).toBeCallableWith({
      event: 'alert',
      data: { level: 'critical', text: 'fire' },
      id: '1',
    });
    expectTypeOf(stream.send).toBeCallableWith(encodeEvent({ data: 'pre-encoded' }));
  });

  it('rejects a wrong payload or an unknown event name', () => {
    // @ts-expect-error the payload of tick is { t: number }
    stream.send({ event: 'tick', data: { t: 'one' } });
    // @ts-expect-error no such event
    stream.send({ event: 'tock', data: { t: 1 } });
    // @ts-expect-error a typed stream needs the event name
    stream.send({ data: { t: 1 } });
  });

  it('lets the message event omit its name', () => {
    const messages = createSseStream<{ message: string }>();
    expectTypeOf(messages.send).toBeCallableWith({ data: 'plain' });
    // @ts-expect-error message data is a string
    messages.send({ data: 5 });
  });

  it('is untyped by default', () => {
    const untyped = createSseStream();
    expectTypeOf(untyped.send).toBeCallableWith({ event: 'anything', data: [1, 2] });
    expectTypeOf<SseMessage<Events>['event']>().toEqualTypeOf<'tick' | 'alert'>();
  });
});

describe('write and pipe, typed by the event map', () => {
  const stream = createSseStream<Events>();

  it('write takes what send takes and resolves to a boolean', () => {
    expectTypeOf(stream.write({ event: 'tick', data: { t: 1 } })).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(stream.write).toBeCallableWith(encodeEvent({ data: 'pre-encoded' }));
    // @ts-expect-error the payload of tick is { t: number }
    void stream.write({ event: 'tick', data: { t: 'one' } });
  });

  it('pipe takes messages of the map, or any items with a toMessage', async () => {
    async function* ticks() {
      yield { event: 'tick' as const, data: { t: 1 } };
    }
    expectTypeOf(stream.pipe(ticks())).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(stream.pipe([1, 2], (t) => ({ event: 'tick', data: { t } }))).toEqualTypeOf<
      Promise<boolean>
    >();
    // @ts-expect-error numbers are not messages: a toMessage is needed
    void stream.pipe([1, 2]);
    // @ts-expect-error toMessage must build a message of the map
    void stream.pipe(['x'], (text) => ({ event: 'tock', data: text }));
  });

  it('has no ready(): write replaces send + ready', () => {
    // @ts-expect-error ready() left the public type
    void stream.ready;
  });
});

it('one message type: SseMessage, also what a typed encodeEvent takes', () => {
  type Ticks = { tick: { n: number } };
  expectTypeOf(encodeEvent<Ticks>({ event: 'tick', data: { n: 1 } })).toEqualTypeOf<EncodedEvent>();
  // @ts-expect-error: a typed encodeEvent checks the payload against the map
  encodeEvent<Ticks>({ event: 'tick', data: { n: 'one' } });
  // @ts-expect-error: and the event name
  encodeEvent<Ticks>({ event: 'tock', data: { n: 1 } });
  expectTypeOf<SseMessage>().toEqualTypeOf<SseMessage<EventMap>>();
  const untyped: SseMessage = { event: 'anything', data: [1, 2], id: '7' };
  encodeEvent(untyped);
});
