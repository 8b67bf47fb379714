import type { EventStream } from '@ssekit/core';
import { H3, type H3Event } from 'h3';
import { expectTypeOf, test } from 'vitest';
import { defineEventStreamHandler, eventStreamResponse } from './index.js';

type Events = { tick: { n: number }; message: string };

test('defineEventStreamHandler types the stream with the route events and mounts on H3', () => {
  const handler = defineEventStreamHandler<Events>((event, stream) => {
    expectTypeOf(event).toEqualTypeOf<H3Event>();
    expectTypeOf(stream).toEqualTypeOf<EventStream<Events>>();
    stream.send({ event: 'tick', data: { n: 1 } });
    // @ts-expect-error the payload of tick is { n: number }
    stream.send({ event: 'tick', data: { n: 'one' } });
  });
  new H3().get('/events', handler);
});

test('eventStreamResponse returns a Response', () => {
  new H3().get('/events', (event) => {
    const response = eventStreamResponse<Events>(event, (_event, stream) => {
      stream.send({ data: 'a message' });
    });
    expectTypeOf(response).toEqualTypeOf<Response>();
    return response;
  });
});
