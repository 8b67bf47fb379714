import { createHub, type SseStream } from '@ssekit/core';
import type { LazySseStream } from '@ssekit/core/adapter';
import Fastify from 'fastify';
import { expectTypeOf, test } from 'vitest';
import { sse } from './index.js';

type Events = { tick: { n: number }; message: string };

test('reply.sse is declared on every reply, so { sse: true } routes use it without a check', async () => {
  const app = Fastify();
  await app.register(sse, { heartbeat: 15_000 });
  app.get('/events', { sse: true }, (_request, reply) => {
    expectTypeOf(reply.sse).toEqualTypeOf<LazySseStream>();
    reply.sse.send({ data: 'no undefined check needed' });
  });
});

test('the route generic Events types reply.sse, without casts', () => {
  const app = Fastify();
  app.get<{ Events: Events; Querystring: { room: string } }>(
    '/events',
    { sse: { retry: 1000 } },
    async (request, reply) => {
      expectTypeOf(request.query.room).toEqualTypeOf<string>();
      expectTypeOf(reply.sse).toEqualTypeOf<LazySseStream<Events>>();
      expectTypeOf(reply.sse.open()).toEqualTypeOf<SseStream<Events>>();
      createHub<Events>().subscribe(reply.sse, 'ticks');
      reply.sse.send({ event: 'tick', data: { n: 1 } });
      reply.sse.send({ data: 'a message' });
      // @ts-expect-error the payload of tick is { n: number }
      reply.sse.send({ event: 'tick', data: { n: 'one' } });
      // @ts-expect-error there is no event named tock
      reply.sse.send({ event: 'tock', data: { n: 1 } });
      return reply.code(401).send({ error: 'unauthorized' });
    },
  );
});

test('Events alone is a route generic', () => {
  Fastify().get<{ Events: Events }>('/events', { sse: true }, (_request, reply) => {
    expectTypeOf(reply.sse).toEqualTypeOf<LazySseStream<Events>>();
  });
});

test('the sse route option takes the stream options, checked', () => {
  const app = Fastify();
  app.route({
    method: 'GET',
    url: '/events',
    sse: { heartbeat: false, onError: (error, request) => request.log.error(error) },
    handler: (_request, reply) => reply.sse.close(),
  });
  // @ts-expect-error heartbeat is a number of milliseconds or false
  app.get('/typo', { sse: { heartbeat: 'often' } }, () => {});
});
