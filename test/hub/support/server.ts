/** A node:http server on 127.0.0.1 that opens an event stream per request and subscribes it. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hub, SseStream, SseStreamOptions, SubscribeOptions } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';

export interface HubServerOptions {
  /** Options of every stream. Default: reconnect hint of 20 ms, so clients come back quickly. */
  stream?: SseStreamOptions;
  /** Per-request subscribe options (a per-user filter, for example). */
  subscribe?: (url: URL) => SubscribeOptions;
  /** HTML served at `/page` (for a browser), same origin as the streams. */
  page?: string;
}

export interface HubServer {
  readonly url: string;
  /** Every stream opened, oldest first (closed ones included). */
  readonly streams: SseStream[];
  /** The `Last-Event-ID` header of every request, in order (`undefined` when absent). */
  readonly lastEventIds: Array<string | undefined>;
  /** The unsubscribe function of every `subscribe` call, in order. */
  readonly unsubscribes: Array<() => void>;
  readonly server: http.Server;
  /** Stops listening and cuts every open connection. */
  close(): Promise<void>;
}

/** Serves `hub` at `/?topics=a,b` (default topic `t`; `;` separates `subscribe` calls). */
export function serveHub(hub: Hub, options: HubServerOptions = {}): Promise<HubServer> {
  const streams: SseStream[] = [];
  const lastEventIds: Array<string | undefined> = [];
  const unsubscribes: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/page' && options.page !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(options.page);
      return;
    }
    if (url.pathname !== '/') {
      res.writeHead(404).end();
      return;
    }
    const header = req.headers['last-event-id'];
    lastEventIds.push(typeof header === 'string' ? header : undefined);
    const stream = openSseStream(req, res, { retry: 20, ...options.stream });
    streams.push(stream);
    // `?topics=a,b;c` subscribes the stream to [a, b], then to [c] in a second call.
    for (const call of (url.searchParams.get('topics') ?? 't').split(';')) {
      unsubscribes.push(hub.subscribe(stream, call.split(','), options.subscribe?.(url)));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        streams,
        lastEventIds,
        unsubscribes,
        server,
        close: () =>
          new Promise<void>((closed) => {
            server.close(() => closed());
            server.closeAllConnections();
          }),
      });
    });
  });
}
