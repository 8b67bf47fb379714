import Router from '@koa/router';
import { createHub, type SseStream } from '@ssekit/core';
import type { LazySseStream } from '@ssekit/core/adapter';
import { expectTypeOf, test } from 'vitest';
import { type SseContext, sse } from './index.js';

type Events = { tick: { n: number }; message: string };

test('SseContext types ctx.sse with the route events, without casts', () => {
  const hub = createHub<Events>();
  const router = new Router();
  router.get<object, SseContext<Events>>('/events', sse(), async (ctx) => {
    expectTypeOf(ctx.sse).toEqualTypeOf<LazySseStream<Events>>();
    expectTypeOf(ctx.sse.open()).toEqualTypeOf<SseStream<Events>>();
    const stream = ctx.sse;
    stream.send({ event: 'tick', data: { n: 1 } });
    await stream.write({ data: 'a message' });
    // @ts-expect-error the payload of tick is { n: number }
    stream.send({ event: 'tick', data: { n: 'one' } });
    hub.subscribe(stream, 'ticks');
    ctx.status = 401;
  });
});
