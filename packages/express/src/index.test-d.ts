import type { SseStream } from '@ssekit/core';
import express5 from 'express5';
import { expectTypeOf, test } from 'vitest';
import { sse, sseHandler } from './index.js';

type Events = { tick: { n: number }; message: string };

test('res.sse is declared on every Express response, so sse() routes use it without a check', () => {
  const app = express5();
  app.use(sse());
  app.get('/events', (_req, res) => {
    expectTypeOf(res.sse).toEqualTypeOf<SseStream>();
    res.sse.send({ data: 'no undefined check needed' });
  });
});

test('sseHandler types res.sse with the route events, without casts', () => {
  sseHandler<Events>((_req, res) => {
    expectTypeOf(res.sse).toEqualTypeOf<SseStream<Events>>();
    res.sse.send({ event: 'tick', data: { n: 1 } });
    res.sse.send({ data: 'a message' });
    // @ts-expect-error the payload of tick is { n: number }
    res.sse.send({ event: 'tick', data: { n: 'one' } });
    // @ts-expect-error there is no event named tock
    res.sse.send({ event: 'tock', data: { n: 1 } });
    res.status(401);
  });
});
