import { createHub, type SseStream } from '@ssekit/core';
import type { LazySseStream } from '@ssekit/core/adapter';
import express5 from 'express5';
import { expectTypeOf, test } from 'vitest';
import { type SseResponse, sse, sseHandler } from './index.js';

type Events = { tick: { n: number }; message: string };

test('res.sse is declared on every Express response, so sse() routes use it without a check', () => {
  const app = express5();
  app.use(sse());
  app.get('/events', (_req, res) => {
    expectTypeOf(res.sse).toEqualTypeOf<LazySseStream>();
    expectTypeOf(res.sse).not.toBeUndefined();
    res.sse.send({ data: 'no undefined check needed' });
  });
});

test('sseHandler types the handle, its stream and the hub with the route events', () => {
  const hub = createHub<Events>();
  sseHandler<Events>(async (_req, res: SseResponse<Events>) => {
    expectTypeOf(res.sse.open()).toEqualTypeOf<SseStream<Events>>();
    expectTypeOf(res.sse.lastEventId).toEqualTypeOf<string | undefined>();
    await res.sse.write({ event: 'tick', data: { n: 1 } });
    await res.sse.pipe([1, 2], (n) => ({ event: 'tick' as const, data: { n } }));
    // @ts-expect-error the payload of tick is { n: number }
    await res.sse.write({ event: 'tick', data: { n: 'one' } });
    hub.subscribe(res.sse, 'ticks', { filter: (event) => event.event === 'tick' });
  });
});

test('sseHandler types res.sse with the route events, without casts', () => {
  sseHandler<Events>((_req, res) => {
    expectTypeOf(res.sse).toEqualTypeOf<LazySseStream<Events>>();
    res.sse.send({ event: 'tick', data: { n: 1 } });
    res.sse.send({ data: 'a message' });
    // @ts-expect-error the payload of tick is { n: number }
    res.sse.send({ event: 'tick', data: { n: 'one' } });
    // @ts-expect-error there is no event named tock
    res.sse.send({ event: 'tock', data: { n: 1 } });
    res.status(401);
  });
});
