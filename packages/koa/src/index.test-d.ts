import Router from '@koa/router';
import type { SseStream } from '@ssekit/core';
import { expectTypeOf, test } from 'vitest';
import { type SseContext, sse } from './index.js';

type Events = { tick: { n: number }; message: string };

test('SseContext types ctx.sse with the route events, without casts', () => {
  const router = new Router();
  router.get<object, SseContext<Events>>('/events', sse(), (ctx) => {
    expectTypeOf(ctx.sse).toEqualTypeOf<SseStream<Events>>();
    const stream = ctx.sse;
    stream.send({ event: 'tick', data: { n: 1 } });
    // @ts-expect-error the payload of tick is { n: number }
    stream.send({ event: 'tick', data: { n: 'one' } });
    ctx.status = 401;
  });
});
