import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { until } from '../../../test/support/wait.js';
import { type SseOptions, sse } from './index.js';

/** What Fastify's logger wrote, one parsed JSON line each. */
function logLines() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(String(chunk)));
      callback();
    },
  });
  return { lines, logger: { level: 'info', stream } };
}

async function app(options: SseOptions = { heartbeat: false }, logger?: object) {
  const fastify = Fastify({ forceCloseConnections: true, ...(logger ? { logger } : {}) });
  onTestFinished(() => fastify.close());
  await fastify.register(sse, options);
  return fastify;
}

async function listen(fastify: FastifyInstance): Promise<string> {
  return fastify.listen({ port: 0, host: '127.0.0.1' });
}

describe('@ssekit/fastify', () => {
  it('gives a handler that throws before the stream opens Fastify’s own error reply', async () => {
    const fastify = await app();
    fastify.get('/events', { sse: true }, async () => {
      throw Object.assign(new Error('no such room'), { statusCode: 404 });
    });
    const response = await request(await listen(fastify)).get('/events');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ statusCode: 404, message: 'no such room' });
  });

  it('closes the stream of a handler that fails after it opened, and logs through request.log', async () => {
    const { lines, logger } = logLines();
    const fastify = await app({ heartbeat: false }, logger);
    fastify.get('/events', { sse: true }, async (_request, reply) => {
      reply.sse.send({ data: 'before' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('boom');
    });
    const response = await request(await listen(fastify)).get('/events');
    expect(response.text).toBe('data: before\n\n');
    const failure = lines.find((line) => line.level === 50);
    expect(failure).toMatchObject({ err: { message: 'boom' }, reqId: expect.any(String) });
    expect(String(failure?.msg)).toMatch(/stream was closed/);
    // Fastify itself did not try to answer again.
    expect(lines.some((line) => String(line.msg).includes('reply.sent = true'))).toBe(false);
  });

  it('answers a sync handler that throws after opening the same way', async () => {
    const reported: unknown[] = [];
    const fastify = await app({ heartbeat: false, onError: (error) => reported.push(error) });
    fastify.get('/events', { sse: true }, (_request, reply) => {
      reply.sse.send({ data: 'before' });
      throw new Error('sync boom');
    });
    const response = await request(await listen(fastify)).get('/events');
    expect(response.text).toBe('data: before\n\n');
    expect(reported).toEqual([expect.objectContaining({ message: 'sync boom' })]);
  });

  it('sends the headers set with reply.header() and by hooks along with the stream', async () => {
    const fastify = await app();
    fastify.addHook('onRequest', async (_request, reply) => {
      reply.header('access-control-allow-origin', 'https://app.example');
    });
    fastify.get('/events', { sse: true }, (_request, reply) => {
      reply.header('x-room', 'lobby');
      reply.sse.send({ data: 'hi' });
      reply.sse.close();
    });
    const response = await request(await listen(fastify)).get('/events');
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(response.headers['x-room']).toBe('lobby');
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.text).toBe('data: hi\n\n');
  });

  it('opens the stream of an async route that read reply.sse and resolved unanswered', async () => {
    const fastify = await app();
    fastify.get('/events', { sse: true }, async (_request, reply) => {
      const stream = reply.sse;
      setTimeout(() => {
        stream.send({ data: 'later' });
        stream.close();
      }, 20);
    });
    const response = await request(await listen(fastify)).get('/events');
    expect([response.status, response.headers['content-type'], response.text]).toEqual([
      200,
      'text/event-stream; charset=utf-8',
      'data: later\n\n',
    ]);
  });

  it.each(['onSend', 'preSerialization'] as const)(
    'answers as Fastify does when an async route read reply.sse, then sent a 401 without returning it, behind an async %s hook',
    async (hook) => {
      const fastify = await app();
      fastify.addHook(hook, async (_request, _reply, payload) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return payload;
      });
      fastify.get('/events', { sse: true }, async (_request, reply) => {
        const stream = reply.sse;
        if (stream) reply.code(401).send({ error: 'sign in' });
      });
      fastify.get('/plain', async (_request, reply) => {
        reply.code(401).send({ error: 'sign in' });
      });
      const origin = await listen(fastify);
      const answer = async (path: string) => {
        const response = await request(origin).get(path);
        return [response.status, response.headers['content-type'], response.text];
      };
      const streamed = await answer('/events');
      expect(streamed.slice(0, 2)).toEqual([401, 'application/json; charset=utf-8']);
      // Fastify itself loses the body behind an async preSerialization hook (its handler sends
      // again when the route resolves before the hook does): the same answer, not a better one.
      expect(streamed).toEqual(await answer('/plain'));
    },
  );

  it('a route’s sse options take precedence over the plugin’s', async () => {
    const fastify = await app({ heartbeat: false, retry: 1000 });
    fastify.get('/events', { sse: { retry: 250 } }, (_request, reply) => {
      reply.sse.close();
    });
    const response = await request(await listen(fastify)).get('/events');
    expect(response.text).toBe('retry: 250\n\n');
  });

  it('says how to fix a reply.sse read on a route without the sse option', async () => {
    const fastify = await app();
    fastify.get('/plain', (_request, reply) => reply.sse.close());
    const response = await request(await listen(fastify)).get('/plain');
    expect(response.status).toBe(500);
    expect(response.body.message).toMatch(
      /GET \/plain, a route without the sse option.*\{ sse: true \}/,
    );
    expect(response.body.code).toBe('ERR_SSE_ROUTE_NOT_SSE');
  });

  it('says where reply.sse is when a hook of a { sse: true } route reads it', async () => {
    const fastify = await app();
    fastify.get(
      '/events',
      { sse: true, preHandler: async (_request, reply) => void reply.sse },
      (_request, reply) => reply.sse.close(),
    );
    const response = await request(await listen(fastify)).get('/events');
    expect(response.status).toBe(500);
    expect(response.body.message).toMatch(
      /GET \/events before its handler ran \(in a hook\).*read reply.sse there/,
    );
    expect(response.body.code).toBe('ERR_SSE_ROUTE_NOT_SSE');
  });

  it('leaves routes without the sse option to Fastify', async () => {
    const fastify = await app();
    fastify.get('/data', async () => ({ ok: true }));
    const response = await request(await listen(fastify))
      .get('/data')
      .set('accept', 'text/event-stream');
    expect(response.body).toEqual({ ok: true });
  });

  it('lets Fastify log the request and run onResponse hooks when the stream ends', async () => {
    const { lines, logger } = logLines();
    const fastify = await app({ heartbeat: false }, logger);
    const responded: number[] = [];
    fastify.addHook('onResponse', async (_request, reply) => {
      responded.push(reply.statusCode);
    });
    fastify.get('/events', { sse: true }, (_request, reply) => {
      reply.sse.send({ data: 'last' });
      reply.sse.close();
    });
    const response = await request(await listen(fastify)).get('/events');
    expect(response.text).toBe('data: last\n\n');
    await until(() => responded.length === 1, 'the onResponse hook');
    expect(responded).toEqual([200]);
    expect(lines.some((line) => line.msg === 'request completed')).toBe(true);
  });

  it('refuses an invalid option at registration, not at the first client', async () => {
    const fastify = Fastify();
    await expect(fastify.register(sse, { heartbeat: -1 })).rejects.toThrow(TypeError);
    const other = Fastify();
    await other.register(sse);
    expect(() => other.get('/e', { sse: { retry: -5 } }, () => {})).toThrow(TypeError);
    // register()'s own keys mean nothing on a route: a prefix there would be silently ignored.
    expect(() => other.get('/p', { sse: { prefix: '/x' } as never }, () => {})).toThrow(
      '@ssekit/fastify route "sse" has no option "prefix"',
    );
  });
});

describe('option checks', () => {
  it('register rejects a misspelled option, naming it and the fix', async () => {
    const app = Fastify();
    await expect(app.register(sse, { hearbeat: false } as never).ready()).rejects.toThrow(
      'ssekit: @ssekit/fastify has no option "hearbeat"; did you mean "heartbeat"?',
    );
    await app.close();
  });

  it.each([
    [0, '0'],
    [null, 'null'],
    ['', '""'],
    ['true', '"true"'],
    [[], 'an array'],
    [() => {}, 'a function'],
  ])('refuses a route whose sse option is %j, naming what it takes', async (value, shown) => {
    const fastify = await app();
    expect(() =>
      fastify.get('/events', { sse: value as unknown as true }, (_request, reply) =>
        reply.sse.close(),
      ),
    ).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        code: 'ERR_SSE_INVALID_OPTION',
        message: expect.stringContaining(
          `route /events "sse" takes true, false or an options object, got ${shown};`,
        ),
      }),
    );
  });

  it("accepts register()'s own keys beside the stream's, and a route still streams", async () => {
    const app = Fastify();
    await app.register(sse, { prefix: '/p', logLevel: 'warn', heartbeat: false, retry: 10 });
    app.get('/events', { sse: true }, async (_request, reply) => {
      reply.sse.send({ data: 'hi' });
      reply.sse.close();
    });
    const response = await app.inject({ url: '/events', headers: { accept: 'text/event-stream' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('data: hi');
    await app.close();
  });
});
