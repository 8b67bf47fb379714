/**
 * Real servers for the client's tests: a hub behind each ssekit entry (node:http, the fetch
 * entry, Express, Koa, h3), every request logged (method, headers), and a way to cut every open
 * connection at once, as a restart or a network failure does.
 */
import http from 'node:http';
import {
  createHub,
  createSseResponse,
  type Hub,
  type HubOptions,
  type SseStream,
  type SseStreamOptions,
} from '@ssekit/core';
import type { LazySseStream } from '@ssekit/core/adapter';
import { openSseStream } from '@ssekit/core/node';
import { sseHandler } from '@ssekit/express';
import { defineSseHandler } from '@ssekit/h3';
import { sse as koaSse } from '@ssekit/koa';
import express from 'express5';
import { H3 } from 'h3';
import Koa from 'koa3';
import { toNodeHandler } from 'srvx/node';
import { onTestFinished } from 'vitest';
import { listen, stop } from '../../support/listen.js';

/** The events the tests' hubs publish; the clients are typed with the same map. */
export type PriceEvents = {
  price: { symbol: string; n: number };
  note: string;
};

export const TOPIC = 'prices';

/** What a server saw of one request. */
export interface LoggedRequest {
  method: string;
  url: string;
  lastEventId: string | undefined;
  authorization: string | undefined;
  body: string;
}

type Open = (
  follow: (stream: SseStream<PriceEvents>) => void,
  options?: SseStreamOptions,
) => http.RequestListener;

/** Each entry of the table: how it turns "follow this stream" into a Node listener. */
export const ADAPTERS: Record<string, Open> = {
  'node:http openSseStream': (follow, options) => (req, res) =>
    follow(openSseStream<PriceEvents>(req, res, options)),
  'fetch entry (createSseResponse)': (follow, options) =>
    toNodeHandler((request: Request) =>
      createSseResponse<PriceEvents>(request, (stream) => follow(stream), options),
    ) as http.RequestListener,
  express: (follow, options) => {
    const app = express();
    app.get(
      '/events',
      sseHandler<PriceEvents>((_req, res) => follow(res.sse.open()), options),
    );
    return app;
  },
  koa: (follow, options) => {
    const app = new Koa();
    app.use(koaSse(options));
    app.use((ctx) => follow((ctx.sse as LazySseStream<PriceEvents>).open()));
    return app.callback();
  },
  h3: (follow, options) => {
    const app = new H3().get(
      '/events',
      defineSseHandler<PriceEvents>((_event, stream) => follow(stream), options),
    );
    return toNodeHandler(app.fetch) as http.RequestListener;
  },
};

export interface HubServer {
  url: string;
  hub: Hub<PriceEvents>;
  requests: LoggedRequest[];
  /** Cuts every open connection (the server keeps listening). */
  cut(): void;
}

/** Logs each request, then hands it to `listener` (the body is read for the log only when the listener does not need it). */
export function logging(
  requests: LoggedRequest[],
  listener: http.RequestListener,
): http.RequestListener {
  return (req, res) => {
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(',') : value;
    };
    const entry: LoggedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      lastEventId: header('last-event-id'),
      authorization: header('authorization'),
      body: '',
    };
    requests.push(entry);
    req.on('data', (chunk) => {
      entry.body += chunk;
    });
    listener(req, res);
  };
}

/** A hub on `adapter`, serving /events, for the rest of the test. */
export async function hubServer(
  adapter: Open = ADAPTERS['node:http openSseStream'] as Open,
  options: {
    hub?: HubOptions;
    stream?: SseStreamOptions;
    /** What each stream subscribes to. Default `TOPIC`. */
    topics?: string[];
    /** Wraps the server's listener (to serve a page beside the stream). */
    around?: (listener: http.RequestListener) => http.RequestListener;
  } = {},
) {
  const hub = createHub<PriceEvents>(options.hub);
  const requests: LoggedRequest[] = [];
  const listener = logging(
    requests,
    adapter((stream) => hub.subscribe(stream, options.topics ?? TOPIC), options.stream),
  );
  const server = http.createServer(options.around?.(listener) ?? listener);
  onTestFinished(async () => {
    await stop(server);
    await hub.close();
  });
  const origin = await listen(server);
  return {
    url: `${origin}/events`,
    hub,
    requests,
    cut: () => server.closeAllConnections(),
  } satisfies HubServer;
}

/** Serves `listener` (logged) on a free port for the rest of the test. */
export async function plainServer(
  listener: http.RequestListener,
  around?: (listener: http.RequestListener) => http.RequestListener,
) {
  const requests: LoggedRequest[] = [];
  const logged = logging(requests, listener);
  const server = http.createServer(around?.(logged) ?? logged);
  onTestFinished(() => stop(server));
  const origin = await listen(server);
  return { url: `${origin}/events`, requests, cut: () => server.closeAllConnections() };
}
