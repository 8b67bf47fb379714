/**
 * The server paths every scenario runs on. Each opens one SseStream per request and hands it
 * to the scenario's handler; the scenario never knows which path serves it.
 */
import { createSseResponse, type SseStream, type SseStreamOptions } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import { sseHandler } from '@ssekit/express';
import { defineSseHandler } from '@ssekit/h3';
import { type SseContext, sse } from '@ssekit/koa';
import express4 from 'express4';
import express5 from 'express5';
import { H3 } from 'h3';
import { toNodeHandler } from 'h3/node';
import Koa2 from 'koa2';
import Koa3 from 'koa3';
import {
  type RunningServer,
  type ServerOptions,
  startFetchServer,
  startNodeServer,
} from './servers.js';

/** Runs per connection; `url` is the request's path and query. */
export type StreamHandler = (stream: SseStream, url: string) => void;

export interface TargetOptions extends ServerOptions {
  stream?: SseStreamOptions;
  /** Receives what a handler threw (the fetch entry point reports it; the node bridge rethrows). */
  onError?: (error: unknown) => void;
}

export interface Target {
  /** Shown in test names and in the figures. */
  name: string;
  start(handler: StreamHandler, options?: TargetOptions): Promise<RunningServer>;
}

/** `@ssekit/core/node` openSseStream on node:http. */
export const nodeBridge: Target = {
  name: 'core/node openSseStream',
  start: (handler, options = {}) =>
    startNodeServer((req, res) => {
      const stream = openSseStream(req, res, options.stream);
      handler(stream, req.url ?? '/');
    }, options),
};

/** `@ssekit/core` createSseResponse, served by @hono/node-server on node:http. */
export const fetchEntryPoint: Target = {
  name: 'core createSseResponse',
  start: (handler, options = {}) =>
    startFetchServer((request) => {
      const { pathname, search } = new URL(request.url);
      return createSseResponse(request, (stream) => handler(stream, pathname + search), {
        ...options.stream,
        onError: options.onError ?? ((error) => console.error(error)),
      });
    }, options),
};

export const coreTargets: Target[] = [nodeBridge, fetchEntryPoint];

function expressTarget(name: string, express: typeof express4 | typeof express5): Target {
  return {
    name,
    start: (handler, options = {}) => {
      const app = express();
      app.use(
        sseHandler((req, res) => handler(res.sse.open(), req.originalUrl), {
          ...options.stream,
          onError: options.onError ?? ((error) => console.error(error)),
        }),
      );
      return startNodeServer(app, options);
    },
  };
}

function koaTarget(name: string, Koa: typeof Koa2 | typeof Koa3): Target {
  return {
    name,
    start: (handler, options = {}) => {
      const report = options.onError ?? ((error: unknown) => console.error(error));
      const app = new Koa();
      // Koa reports a client's reset connection as an app error (Koa 2 logs it by default);
      // that is a departure, not a failure. Anything else goes to the scenario.
      app.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') report(error);
      });
      app.use(sse({ ...options.stream, onError: report }));
      app.use((ctx) => {
        handler((ctx as unknown as SseContext).sse.open(), ctx.url);
      });
      return startNodeServer(app.callback(), options);
    },
  };
}

const h3Target: Target = {
  name: 'h3 v2',
  start: (handler, options = {}) => {
    const app = new H3();
    app.get(
      '/**',
      defineSseHandler((event, stream) => handler(stream, event.url.pathname + event.url.search), {
        ...options.stream,
        onError: options.onError ?? ((error) => console.error(error)),
      }),
    );
    return startNodeServer(toNodeHandler(app), options);
  },
};

/** Every adapter, each on the framework versions it supports. */
export const adapterTargets: Target[] = [
  expressTarget('Express 4', express4),
  expressTarget('Express 5', express5),
  koaTarget('Koa 2', Koa2),
  koaTarget('Koa 3', Koa3),
  h3Target,
];

export const allTargets: Target[] = [...coreTargets, ...adapterTargets];
