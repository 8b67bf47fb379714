/**
 * The per-test setup every hub suite shares: a hub served over HTTP plus the clients a test
 * opens, all closed after each test so nothing one test opened reaches into the next.
 */
import { createHub, type Hub, type HubOptions } from '@ssekit/core';
import { afterEach } from 'vitest';
import type { EventSourceClient, FetchReader, PausedClient } from './clients.js';
import { type HubServer, type HubServerOptions, serveHub } from './server.js';

export interface HubTest {
  /** Push every fetch reader here; each is aborted after the test. */
  readonly readers: FetchReader[];
  /** Push every `eventsource` client here; each is closed after the test. */
  readonly sources: EventSourceClient[];
  /** Push every paused client here; each is destroyed after the test. */
  readonly paused: PausedClient[];
  /** Creates a hub and serves it on 127.0.0.1; both are closed after the test. */
  serve(
    hubOptions?: HubOptions,
    serverOptions?: HubServerOptions,
  ): Promise<{ hub: Hub; server: HubServer }>;
}

/** Registers the `afterEach` clean-up; call once at the top of a test file. */
export function hubTest(): HubTest {
  const readers: FetchReader[] = [];
  const sources: EventSourceClient[] = [];
  const paused: PausedClient[] = [];
  const hubs: Hub[] = [];
  const servers: HubServer[] = [];

  afterEach(async () => {
    // Clients leave first, so the hub and server close with nothing in flight from them.
    for (const reader of readers.splice(0)) reader.abort();
    for (const source of sources.splice(0)) source.close();
    for (const client of paused.splice(0)) client.destroy();
    for (const hub of hubs.splice(0)) await hub.close();
    for (const server of servers.splice(0)) await server.close();
  });

  return {
    readers,
    sources,
    paused,
    async serve(hubOptions, serverOptions) {
      const hub = createHub(hubOptions);
      hubs.push(hub);
      const server = await serveHub(hub, serverOptions);
      servers.push(server);
      return { hub, server };
    },
  };
}
