import { createReadStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import compression from 'compression';
import type { ErrorRequestHandler, Response } from 'express';
import express4 from 'express4';
import express5 from 'express5';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ACCEPT_CASES, NOT_ACCEPTABLE_HINT } from '../../../test/conformance/support/admission.js';
import { plainRequest } from '../../../test/conformance/support/clients.js';
import { listenForTest } from '../../../test/support/listen.js';
import { acceptsEventStream, sse, sseHandler } from './index.js';

const SSE = 'text/event-stream';
const LICENSE = fileURLToPath(new URL('../../../LICENSE', import.meta.url));
describe.each([
  ['Express 4', express4],
  ['Express 5', express5],
] as const)('%s', (_name, express) => {
  it('mounted globally, does nothing until a route reads res.sse', async () => {
    const app = express();
    app.use(sse({ heartbeat: false }));
    app.get('/data', (_req, res) => {
      res.json({ ok: true });
    });
    const origin = await listenForTest(app);
    // An SSE-capable client reaching a route that never reads res.sse gets the route's answer.
    const untouched = await request(origin).get('/data').set('accept', SSE);
    expect(untouched.body).toEqual({ ok: true });
  });

  it('answers every Accept value as the conformance table says, through sse() too', async () => {
    const app = express();
    app.use(sse({ heartbeat: false }));
    // The README's form: the route reads res.sse without checking anything.
    app.get('/events', (_req, res) => {
      res.sse.send({ data: 'hi' });
      res.sse.close();
    });
    const url = `${await listenForTest(app)}/events`;
    for (const { accept, answer } of ACCEPT_CASES) {
      const response = await plainRequest(url, { headers: accept === undefined ? {} : { accept } });
      expect([accept, response.status]).toEqual([accept, answer === 'stream' ? 200 : 406]);
      if (answer === 'stream') expect(response.body).toBe('data: hi\n\n');
      else expect(response.body).toMatch(NOT_ACCEPTABLE_HINT);
    }
    const head = await plainRequest(url, { method: 'HEAD' });
    expect([head.status, head.headers['content-type'], head.body]).toEqual([
      200,
      'text/event-stream; charset=utf-8',
      '',
    ]);
  });

  it('lets a route serve JSON to clients that refuse SSE, checking acceptsEventStream first', async () => {
    const app = express();
    app.use(sse({ heartbeat: false }));
    app.get('/clock', (req, res) => {
      if (!acceptsEventStream(req.headers.accept)) {
        res.json({ json: true });
        return;
      }
      res.sse.send({ data: 'tick' });
      res.sse.close();
    });
    const url = `${await listenForTest(app)}/clock`;
    const json = await plainRequest(url, { headers: { accept: 'application/json' } });
    expect(JSON.parse(json.body)).toEqual({ json: true });
    expect((await plainRequest(url)).body).toBe('data: tick\n\n');
  });

  it('refuses to open res.sse after the route already answered, with a TypeError naming the fix', async () => {
    const app = express();
    let thrown: unknown;
    app.get('/events', sse(), (_req, res) => {
      res.status(404).json({ error: 'no such feed' });
      try {
        res.sse.send({ data: 'too late' });
      } catch (error) {
        thrown = error;
      }
    });
    const response = await request(await listenForTest(app))
      .get('/events')
      .set('accept', SSE);
    expect(response.status).toBe(404);
    expect(thrown).toBeInstanceOf(TypeError);
    expect(String(thrown)).toMatch(/res\.sse was used after the response was sent/);
    expect(thrown).toMatchObject({ code: 'ERR_SSE_HEADERS_SENT' });
  });

  it.each([
    ['res.sendFile()', 200, (res: Response) => res.sendFile(LICENSE)],
    [
      'a status and a file piped in',
      403,
      (res: Response) => createReadStream(LICENSE).pipe(res.status(403)),
    ],
  ] as const)(
    'keeps the answer of an async route that read res.sse, then answered with %s',
    async (_, status, answer) => {
      const app = express();
      app.get(
        '/events',
        sseHandler(async (_req, res) => {
          if (res.sse.lastEventId === undefined) answer(res);
        }),
      );
      const response = await request(await listenForTest(app))
        .get('/events')
        .set('accept', SSE)
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => done(null, text));
        });
      expect(response.headers['content-type'] ?? '').not.toMatch(/event-stream/);
      expect([response.status, response.body]).toEqual([status, readFileSync(LICENSE, 'utf8')]);
    },
  );

  it('sends an error thrown before the stream opened to Express, as usual', async () => {
    const app = express();
    const seen: unknown[] = [];
    const reported: unknown[] = [];
    app.get(
      '/events',
      sseHandler(
        () => {
          throw new Error('before opening');
        },
        { onError: (error) => reported.push(error) },
      ),
    );
    const handle: ErrorRequestHandler = (error, _req, res, _next) => {
      seen.push(error);
      res.status(500).json({ error: 'handled by Express' });
    };
    app.use(handle);
    const response = await request(await listenForTest(app))
      .get('/events')
      .set('accept', SSE);
    expect(response.status).toBe(500);
    expect(seen).toEqual([expect.objectContaining({ message: 'before opening' })]);
    expect(reported).toEqual([]);
  });

  it.each([
    // A token without exp: the deadline is NaN, a bug the route's error handler should see.
    ['closeAt(NaN)', (res: Response) => res.sse.closeAt(Number.NaN)],
    ['send of a bad event name', (res: Response) => res.sse.send({ event: 'a\nb' })],
    ['write of a bad event name', (res: Response) => res.sse.write({ event: 'a\nb' })],
    ['pipe of something not iterable', (res: Response) => res.sse.pipe(42 as never)],
    [
      'pipe with a toMessage that is not a function',
      (res: Response) => res.sse.pipe([1], 'map' as never),
    ],
  ])('res.sse.%s throws before the stream opens: Express answers the error', async (_, use) => {
    const app = express();
    app.use(sse({ heartbeat: false }));
    app.get('/events', (_req, res) => {
      use(res);
    });
    const handle: ErrorRequestHandler = (error, _req, res, _next) => {
      res.status(500).json({ code: error.code });
    };
    app.use(handle);
    const response = await request(await listenForTest(app))
      .get('/events')
      .set('accept', SSE);
    expect(response.status).toBe(500);
    expect(response.body.code).toMatch(/^ERR_SSE_INVALID_/);
  });

  it('flushes through compression that does compress the stream', async () => {
    const app = express();
    app.use(compression());
    app.get(
      '/events',
      sseHandler(
        (_req, res) => {
          res.sse.send({ data: 'compressed yet immediate' });
        },
        { heartbeat: false, headers: { 'cache-control': 'no-cache' } },
      ),
    );
    const origin = await listenForTest(app);
    const controller = new AbortController();
    const response = await fetch(`${origin}/events`, {
      headers: { accept: SSE, 'accept-encoding': 'gzip' },
      signal: controller.signal,
    });
    expect(response.headers.get('content-encoding')).toBe('gzip');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const { value } = await reader.read();
    controller.abort();
    expect(new TextDecoder().decode(value)).toBe('data: compressed yet immediate\n\n');
  });
});

it('rejects an invalid option when the middleware is created', () => {
  expect(() => sse({ heartbeat: -5 })).toThrow(TypeError);
  expect(() => sse({ heartbeat: -5 })).toThrow(/"heartbeat"/);
  expect(() => sseHandler(() => {}, { onOverflow: 'block' as 'drop' })).toThrow(/"onOverflow"/);
});

describe('option checks', () => {
  it('sseHandler refuses a handler that is not a function where the route is defined', () => {
    expect(() => sseHandler(undefined as never)).toThrow(/sseHandler "handler" must be a function/);
  });

  it.each([
    ['sse', () => sse({ hearbeat: false } as never), 'hearbeat', 'heartbeat'],
    [
      'sseHandler',
      () => sseHandler(() => {}, { onErorr: () => {} } as never),
      'onErorr',
      'onError',
    ],
  ])('%s rejects a misspelled option, naming it and the fix', (_name, call, key, suggestion) => {
    expect(call).toThrow(TypeError);
    expect(call).toThrow(`has no option "${key}"; did you mean "${suggestion}"?`);
  });

  it('sse() says where onError goes instead: Express hands route errors to next(error)', () => {
    expect(() => sse({ onError: () => {} } as never)).toThrow(
      /sse\(\) takes no onError: Express hands a route's errors to next\(error\).*sseHandler\(handler, \{ onError \}\)/,
    );
  });

  it('sseHandler rejects an onError that is not a function', () => {
    expect(() => sseHandler(() => {}, { onError: 'log' as never })).toThrow(
      /"onError" must be a function/,
    );
  });

  it('accepts every documented option', () => {
    sse({
      heartbeat: false,
      retry: 10,
      highWaterMark: 10,
      maxBufferedBytes: 100,
      onOverflow: 'drop',
    });
    sseHandler(() => {}, { onError: () => {}, heartbeat: 1000, headers: { 'x-a': 'b' } });
  });
});
