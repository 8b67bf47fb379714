import http from 'node:http';
import koaCompress from 'koa-compress';
import Koa2 from 'koa2';
import Koa3 from 'koa3';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { listenForTest } from '../../../test/support/listen.js';
import { acceptsEventStream, type SseContext, sse } from './index.js';

const SSE = 'text/event-stream';

/** Reads the first body chunk as the bytes on the wire, with no decompression. */
function firstRawChunk(url: string, headers: Record<string, string>) {
  return new Promise<{ encoding: string | undefined; text: string }>((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      res.once('data', (chunk: Buffer) => {
        resolve({ encoding: res.headers['content-encoding'], text: chunk.toString('latin1') });
        req.destroy();
      });
    });
    req.on('error', reject);
  });
}

describe.each([
  ['Koa 2', Koa2],
  ['Koa 3', Koa3],
] as const)('%s', (_name, KoaApp) => {
  it('mounted globally, does nothing until downstream reads ctx.sse', async () => {
    const app = new KoaApp();
    app.use(sse({ heartbeat: false }));
    app.use((ctx) => {
      ctx.body = { ok: true };
    });
    const origin = await listenForTest(app.callback());
    // An SSE-capable client reaching a route that never reads ctx.sse gets the route's answer.
    expect((await request(origin).get('/data').set('accept', SSE)).body).toEqual({ ok: true });
  });

  it.each([
    [
      'streams for a route that read ctx.sse and returned without a body, to use later',
      (ctx: SseContext) => {
        const stream = ctx.sse;
        setTimeout(() => {
          stream.send({ data: 'later' });
          stream.close();
        }, 20);
      },
      [200, 'text/event-stream; charset=utf-8', 'data: later\n\n'],
    ],
    [
      'keeps the 404 a route that read ctx.sse set itself',
      (ctx: SseContext & { status: number }) => {
        if (ctx.sse.lastEventId === undefined) ctx.status = 404;
      },
      [404, 'text/plain; charset=utf-8', 'Not Found'],
    ],
  ] as const)('%s', async (_, route, answer) => {
    const app = new KoaApp();
    app.use(sse({ heartbeat: false }));
    app.use(route);
    const response = await request(await listenForTest(app.callback()))
      .get('/events')
      .set('accept', SSE);
    expect([response.status, response.headers['content-type'], response.text]).toEqual(answer);
  });

  it('lets a route serve JSON to clients that refuse SSE, checking acceptsEventStream first', async () => {
    const app = new KoaApp();
    app.use(sse({ heartbeat: false }));
    app.use<object, SseContext>((ctx) => {
      if (!acceptsEventStream(ctx.get('accept'))) {
        ctx.body = { json: true };
        return;
      }
      ctx.sse.send({ data: 'tick' });
      ctx.sse.close();
    });
    const origin = await listenForTest(app.callback());
    const json = await request(origin).get('/clock').set('accept', 'application/json');
    expect(json.body).toEqual({ json: true });
    expect((await request(origin).get('/clock').set('accept', SSE)).text).toBe('data: tick\n\n');
  });

  it('lets an error thrown before the stream opened reach Koa, as usual', async () => {
    const app = new KoaApp();
    app.silent = true;
    const reported: unknown[] = [];
    app.use(sse({ onError: (error) => reported.push(error) }));
    app.use(() => {
      throw new Error('before opening');
    });
    const response = await request(await listenForTest(app.callback()))
      .get('/events')
      .set('accept', SSE);
    expect(response.status).toBe(500);
    expect(reported).toEqual([]);
  });

  it('refuses to open ctx.sse after the response was sent, with a TypeError naming the fix', async () => {
    const app = new KoaApp();
    let thrown: unknown;
    app.use(sse());
    app.use<object, SseContext>((ctx) => {
      ctx.res.writeHead(404).end();
      try {
        ctx.sse.send({ data: 'too late' });
      } catch (error) {
        thrown = error;
      }
    });
    const response = await request(await listenForTest(app.callback()))
      .get('/events')
      .set('accept', SSE);
    expect(response.status).toBe(404);
    expect(String(thrown)).toMatch(/^TypeError: ssekit: ctx\.sse was used after the response/);
    expect(thrown).toMatchObject({ code: 'ERR_SSE_HEADERS_SENT' });
  });

  it('keeps events readable on the wire with koa-compress mounted', async () => {
    const app = new KoaApp();
    app.use(koaCompress({ threshold: 0 }));
    app.use(sse({ heartbeat: false }));
    app.use<object, SseContext>((ctx) => {
      ctx.sse.send({ data: 'plain text' });
    });
    const origin = await listenForTest(app.callback());
    const raw = await firstRawChunk(`${origin}/events`, {
      accept: SSE,
      'accept-encoding': 'gzip, br',
    });
    expect(raw.encoding).toBeUndefined();
    expect(raw.text).toBe('data: plain text\n\n');
  });

  it('once streaming, a client leaving is not an app error; other errors still are', async () => {
    const app = new KoaApp();
    const appErrors: string[] = [];
    app.on('error', (error: NodeJS.ErrnoException) => appErrors.push(error.code ?? error.message));
    app.use(sse({ heartbeat: false }));
    let streaming: (SseContext & { onerror(error: Error): void }) | undefined;
    app.use<object, SseContext>((ctx) => {
      ctx.sse.send({ data: 'hi' });
      streaming = ctx as typeof streaming;
    });
    const origin = await listenForTest(app.callback());
    await firstRawChunk(`${origin}/events`, { accept: SSE });
    // What Koa's own socket watcher hands to ctx.onerror when the connection goes.
    streaming?.onerror(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    streaming?.onerror(new Error('a real failure'));
    expect(appErrors).toEqual(['a real failure']);
  });
});

it('rejects an invalid option when the middleware is created', () => {
  expect(() => sse({ maxBufferedBytes: 0 })).toThrow(TypeError);
  expect(() => sse({ maxBufferedBytes: 0 })).toThrow(/"maxBufferedBytes"/);
});

describe('option checks', () => {
  it('sse rejects a misspelled option, naming it and the fix', () => {
    const call = () => sse({ maxBufferBytes: 1 } as never);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(
      'ssekit: sse has no option "maxBufferBytes"; did you mean "maxBufferedBytes"?',
    );
    expect(() => sse({ onErorr: () => {} } as never)).toThrow('did you mean "onError"?');
  });

  it('sse rejects an onError that is not a function', () => {
    expect(() => sse({ onError: 'log' as never })).toThrow(/"onError" must be a function/);
  });

  it('accepts every documented option', () => {
    sse({ onError: () => {}, heartbeat: false, retry: 10, serializer: String, onOverflow: 'drop' });
  });
});
