/**
 * The table of server factories: each mounts one Scenario on one framework through its ssekit
 * entry point, on a real server bound to 127.0.0.1. The suite runs every behaviour on every row.
 */

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import Router from '@koa/router';
import { acceptsEventStream, createSseResponse } from '@ssekit/core';
import { runHandler } from '@ssekit/core/adapter';
import { openSseStream } from '@ssekit/core/node';
import {
  enableHttp2,
  acceptsEventStream as expressAccepts,
  type SseMiddleware,
  sseHandler,
} from '@ssekit/express';
import { acceptsEventStream as fastifyAccepts, sse as fastifySse } from '@ssekit/fastify';
import { defineSseHandler, sseResponse } from '@ssekit/h3';
import { acceptsEventStream as koaAccepts, type SseContext, sse } from '@ssekit/koa';
import compression from 'compression';
import type { ErrorRequestHandler } from 'express';
import express4 from 'express4';
import express5 from 'express5';
import Fastify from 'fastify';
import { defineHandler, H3 } from 'h3';
import { toNodeHandler as h3ToNodeHandler } from 'h3/node';
import type Koa from 'koa';
import koaCompress from 'koa-compress';
import Koa2 from 'koa2';
import Koa3 from 'koa3';
import { toNodeHandler as fetchToNodeHandler } from 'srvx/node';
import { type Listening, listenHttp1, listenHttp2 } from './listen.js';
import {
  type AppSetup,
  EVENTS_PATH,
  JSON_ANSWER,
  type Scenario,
  type TestEvents,
  UNAUTHORIZED,
} from './scenario.js';

/** A server running one scenario. */
export interface RunningServer {
  origin: string;
  /** `origin` + the events route. */
  url: string;
  /** What the adapter reported through `onError`. */
  reported: unknown[];
  /** Errors that reached the framework's own error path (`next(err)`, a Koa error). */
  frameworkErrors: unknown[];
  /** Connections the server holds open (HTTP/2: sessions). */
  connections(): number;
  close(): Promise<void>;
}

/** One row of the table. */
export interface ServerFactory {
  name: string;
  /** Which optional behaviours the framework has at all. */
  supports: {
    compression: boolean;
    http2: boolean;
    /**
     * Sees the HTTP/1.1 connection under a stream (core/node, or h3 tying its fetch streams to
     * it); the bare fetch entry cannot: the runtime keeps the connection.
     */
    oneStreamPerConnection: boolean;
  };
  start(scenario: Scenario, setup?: AppSetup): Promise<RunningServer>;
}

type ExpressFactory = typeof express4 | typeof express5;
type KoaClass = typeof Koa;
type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

function running(listening: Listening, reported: unknown[], frameworkErrors: unknown[]) {
  return { ...listening, url: listening.origin + EVENTS_PATH, reported, frameworkErrors };
}

function hasAuthorization(value: string | null | undefined): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** The core's fetch entry point behind srvx's Node bridge: no framework at all. */
const fetchEntry: ServerFactory = {
  name: 'fetch entry point',
  supports: { compression: false, http2: false, oneStreamPerConnection: false },
  async start(scenario) {
    const reported: unknown[] = [];
    const handler = async (request: Request): Promise<Response> => {
      if (new URL(request.url).pathname !== EVENTS_PATH) return new Response(null, { status: 404 });
      if (scenario.guard && !hasAuthorization(request.headers.get('authorization')))
        return Response.json(UNAUTHORIZED, { status: 401 });
      if (scenario.negotiate && !acceptsEventStream(request.headers.get('accept')))
        return Response.json(JSON_ANSWER);
      await scenario.before?.();
      return createSseResponse<TestEvents>(request, (stream) => scenario.run(stream), {
        ...scenario.options,
        onError: (error) => reported.push(error),
      });
    };
    // srvx's handler also types HTTP/2 arguments; this row serves HTTP/1.1 only.
    const listener = fetchToNodeHandler(handler) as NodeListener;
    return running(await listenHttp1(listener), reported, []);
  },
};

/**
 * Ends a plain (non-stream) answer, with a JSON body when given. Through statusCode and setHeader
 * because writeHead's overloads differ between node:http and node:http2 responses.
 */
function answer(res: ServerResponse | Http2ServerResponse, status: number, body?: unknown): void {
  res.statusCode = status;
  if (body === undefined) {
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

/** `node:http` and `node:http2` with the core's Node bridge, as the core README shows it. */
const nodeBridge: ServerFactory = {
  name: 'node:http openSseStream',
  supports: { compression: false, http2: true, oneStreamPerConnection: true },
  async start(scenario, setup = {}) {
    const reported: unknown[] = [];
    const listener = async (
      req: IncomingMessage | Http2ServerRequest,
      res: ServerResponse | Http2ServerResponse,
    ): Promise<void> => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== EVENTS_PATH) {
        answer(res, 404);
        return;
      }
      if (scenario.guard && !hasAuthorization(req.headers.authorization)) {
        answer(res, 401, UNAUTHORIZED);
        return;
      }
      if (scenario.negotiate && !acceptsEventStream(req.headers.accept)) {
        answer(res, 200, JSON_ANSWER);
        return;
      }
      await scenario.before?.();
      const stream = openSseStream<TestEvents>(req, res, scenario.options);
      runHandler(
        stream,
        (opened) => scenario.run(opened),
        (error) => reported.push(error),
      );
    };
    const listening = setup.http2 ? await listenHttp2(listener) : await listenHttp1(listener);
    return running(listening, reported, []);
  },
};

function expressFactory(name: string, express: ExpressFactory): ServerFactory {
  return {
    name,
    supports: { compression: true, http2: true, oneStreamPerConnection: true },
    async start(scenario, setup = {}) {
      const reported: unknown[] = [];
      const frameworkErrors: unknown[] = [];
      const app = express();
      if (setup.compression) app.use(compression());
      const negotiate: SseMiddleware = (req, res, next) => {
        if (scenario.negotiate && !expressAccepts(req.headers.accept)) res.json(JSON_ANSWER);
        else next();
      };
      app.get(
        EVENTS_PATH,
        negotiate,
        sseHandler<TestEvents>(
          async (req, res) => {
            // Read first, as a route may: reading opens nothing, so the guard can still answer.
            const stream = res.sse;
            if (scenario.guard && !hasAuthorization(req.headers.authorization)) {
              res.status(401).json(UNAUTHORIZED);
              return;
            }
            await scenario.before?.();
            return scenario.run(stream);
          },
          { ...scenario.options, onError: (error) => reported.push(error) },
        ),
      );
      const recordError: ErrorRequestHandler = (error, _req, res, _next) => {
        frameworkErrors.push(error);
        if (!res.headersSent) res.status(500).end();
      };
      app.use(recordError);
      const listening = setup.http2 ? await listenHttp2(enableHttp2(app)) : await listenHttp1(app);
      return running(listening, reported, frameworkErrors);
    },
  };
}

function koaFactory(name: string, KoaApp: KoaClass): ServerFactory {
  return {
    name,
    supports: { compression: true, http2: true, oneStreamPerConnection: true },
    async start(scenario, setup = {}) {
      const reported: unknown[] = [];
      const frameworkErrors: unknown[] = [];
      const app = new KoaApp();
      app.use(async (_ctx, next) => {
        try {
          await next();
        } catch (error) {
          frameworkErrors.push(error);
          throw error;
        }
      });
      if (setup.compression) app.use(koaCompress({ threshold: 0 }));
      const router = new Router();
      router.get<object, SseContext<TestEvents>>(
        EVENTS_PATH,
        sse({ ...scenario.options, onError: (error) => reported.push(error) }),
        async (ctx) => {
          // Read first, as a route may: reading opens nothing, so the guard can still answer.
          const stream = ctx.sse;
          if (scenario.guard && !hasAuthorization(ctx.get('authorization'))) {
            ctx.status = 401;
            ctx.body = UNAUTHORIZED;
            return;
          }
          if (scenario.negotiate && !koaAccepts(ctx.get('accept'))) {
            ctx.body = JSON_ANSWER;
            return;
          }
          await scenario.before?.();
          await scenario.run(stream);
        },
      );
      app.use(router.routes());
      const listening = setup.http2
        ? await listenHttp2(app.callback())
        : await listenHttp1(app.callback());
      return running(listening, reported, frameworkErrors);
    },
  };
}

/**
 * Fastify 5 with the plugin and a `{ sse: true }` route. Fastify's own request handler, taken
 * from `serverFactory`, is served by the table's HTTP/1.1 or HTTP/2 server.
 */
const fastify: ServerFactory = {
  name: 'Fastify 5',
  // @fastify/compress compresses in onSend, which a hijacked reply skips: nothing to test.
  supports: { compression: false, http2: true, oneStreamPerConnection: true },
  async start(scenario, setup = {}) {
    const reported: unknown[] = [];
    const frameworkErrors: unknown[] = [];
    let listener: NodeListener | undefined;
    const app = Fastify({
      serverFactory: (handler) => {
        listener = handler;
        return http.createServer();
      },
    });
    app.setErrorHandler((error, _request, reply) => {
      frameworkErrors.push(error);
      return reply.code(500).send();
    });
    await app.register(fastifySse, {
      ...scenario.options,
      onError: (error) => reported.push(error),
    });
    app.get<{ Events: TestEvents }>(EVENTS_PATH, { sse: true }, async (request, reply) => {
      // Read first, as a route may: reading opens nothing, so the guard can still answer.
      const stream = reply.sse;
      if (scenario.guard && !hasAuthorization(request.headers.authorization))
        return reply.code(401).send(UNAUTHORIZED);
      if (scenario.negotiate && !fastifyAccepts(request.headers.accept))
        return reply.send(JSON_ANSWER);
      await scenario.before?.();
      await scenario.run(stream);
    });
    await app.ready();
    const handler = listener as NodeListener;
    const listening = setup.http2
      ? await listenHttp2(handler as unknown as Parameters<typeof listenHttp2>[0])
      : await listenHttp1(handler);
    return {
      ...running(listening, reported, frameworkErrors),
      close: async () => {
        await listening.close();
        await app.close();
      },
    };
  },
};

/**
 * h3 v2 on Node through `h3/node`; routes that answer something else first use the lower-level
 * `sseResponse`.
 */
const h3: ServerFactory = {
  name: 'h3',
  supports: { compression: false, http2: false, oneStreamPerConnection: true },
  async start(scenario) {
    const reported: unknown[] = [];
    const options = { ...scenario.options, onError: (error: unknown) => reported.push(error) };
    const app = new H3();
    if (scenario.guard || scenario.before || scenario.negotiate) {
      app.get(
        EVENTS_PATH,
        defineHandler(async (event) => {
          const headers = event.req.headers;
          if (scenario.guard && !hasAuthorization(headers.get('authorization')))
            return Response.json(UNAUTHORIZED, { status: 401 });
          if (scenario.negotiate && !acceptsEventStream(headers.get('accept')))
            return Response.json(JSON_ANSWER);
          await scenario.before?.();
          return sseResponse<TestEvents>(event, (_event, stream) => scenario.run(stream), options);
        }),
      );
    } else {
      app.get(
        EVENTS_PATH,
        defineSseHandler<TestEvents>((_event, stream) => scenario.run(stream), options),
      );
    }
    return running(await listenHttp1(h3ToNodeHandler(app)), reported, []);
  },
};

export const serverFactories: ServerFactory[] = [
  fetchEntry,
  nodeBridge,
  expressFactory('Express 4', express4),
  expressFactory('Express 5', express5),
  koaFactory('Koa 2', Koa2),
  koaFactory('Koa 3', Koa3),
  fastify,
  h3,
];
