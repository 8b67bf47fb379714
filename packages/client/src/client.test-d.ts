import type { EventMap, SseStream } from '@ssekit/core';
import { describe, expectTypeOf, it } from 'vitest';
import { type ClientEvent, createClient } from './index.js';

type Events = { price: { symbol: string; n: number }; note: string };

describe('createClient types', () => {
  it('gives each handler its event payload', () => {
    const client = createClient<Events>('http://localhost/events');
    client.on('price', (price, { event, id }) => {
      expectTypeOf(price).toEqualTypeOf<{ symbol: string; n: number }>();
      expectTypeOf(event).toEqualTypeOf<'price'>();
      expectTypeOf(id).toEqualTypeOf<string | undefined>();
    });
    client.on('note', (note) => expectTypeOf(note).toEqualTypeOf<string>());
    // @ts-expect-error: not an event of the map
    client.on('pirce', () => {});
  });

  it('narrows iterated events by name', async () => {
    for await (const event of createClient<Events>('http://localhost/events')) {
      expectTypeOf(event).toEqualTypeOf<ClientEvent<Events>>();
      if (event.event === 'price') expectTypeOf(event.data.n).toEqualTypeOf<number>();
      else expectTypeOf(event.data).toEqualTypeOf<string>();
    }
  });

  it('shares one Events map with the server stream', () => {
    expectTypeOf<Events>().toExtend<EventMap>();
    expectTypeOf<SseStream<Events>['send']>().parameter(0).toExtend<object>();
    const untyped = createClient('http://localhost/events');
    untyped.on('anything', (data) => expectTypeOf(data).toEqualTypeOf<unknown>());
  });

  it("types onReset's reason with the core's HubSignals", () => {
    createClient('http://localhost/events', {
      onReset: (reason) => expectTypeOf(reason).toEqualTypeOf<'unknown-id' | 'events-lost'>(),
    });
  });

  it("types onDenied's topic as a string", () => {
    createClient('http://localhost/events', {
      onDenied: (topic) => expectTypeOf(topic).toEqualTypeOf<string>(),
    });
  });

  it('rejects unknown options', () => {
    // @ts-expect-error: misspelled
    createClient('http://localhost/events', { retyDelay: 1 });
  });
});
