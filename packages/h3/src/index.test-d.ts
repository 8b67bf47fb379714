import type { SseStream } from '@ssekit/core';
import { H3, type H3Event } from 'h3';
import { expectTypeOf, test } from 'vitest';
import { defineSseHandler, sseResponse } from './index.js';

type Events = { tick: { n: number }; message: string };

test('defineSseHandler types the stream with the route events and mounts on H3', () => {
  const handler = defineSseHandler<Events>((event, stream) => {
    expectTypeOf(event).toEqualTypeOf<H3Event>();
    expectTypeOf(stream).toEqualTypeOf<SseStream<Events>>();
    stream.send({ event: 'tick', data: { n: 1 } });
    // @ts-expect-error the payload of tick is { n: number }
    stream.send({ event: 'tick', data: { n: 'one' } });
  });
  new H3().get('/events', handler);
});

test('sseResponse returns a Response', () => {
  new H3().get('/events', (event) => {
    const response = sseResponse<Events>(event, (_event, stream) => {
      stream.send({ data: 'a message' });
    });
    expectTypeOf(response).toEqualTypeOf<Response>();
    return response;
  });
});
