/**
 * Stream lifetime through the hub: each stream ends before the token that opened it expires, the
 * client reconnects with a refreshed token and resumes from its last id. Every published event
 * arrives once, in order, over many lifetimes, with the in-process hub and with Redis.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient as createSseClient } from '@ssekit/client';
import { createHub, type Hub, type SseStream } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import { redisBroker } from '@ssekit/redis';
import { createClient as createRedisClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  deleteKeysUnder,
  REDIS_URL,
  randomPrefix,
  redisIsAvailable,
} from '../redis/support/redis.js';
import { sleep, until } from '../support/wait.js';
import { pausedClient } from './support/clients.js';

const TOKEN_TTL_MS = 250;
const EVENTS = 60;
const PUBLISH_EVERY_MS = 15;

type Events = { news: { n: number } };

/** Tokens that expire: the server refuses an expired one, so a stream must end before. */
function tokenIssuer() {
  const expiries = new Map<string, number>();
  let issued = 0;
  return {
    issue(): string {
      const token = `token-${++issued}`;
      expiries.set(token, Date.now() + TOKEN_TTL_MS);
      return token;
    },
    expiryOf: (token: string) => expiries.get(token),
    get issued() {
      return issued;
    },
  };
}

async function serveWithTokens(hub: Hub, tokens: ReturnType<typeof tokenIssuer>) {
  const tokensSeen: string[] = [];
  const server = http.createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const expiresAt = tokens.expiryOf(token);
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"token expired"}');
      return;
    }
    tokensSeen.push(token);
    const stream = openSseStream(req, res, { retry: 20, heartbeat: false });
    stream.closeAt(expiresAt);
    hub.subscribe(stream, 'news');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    tokensSeen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function everyEventOnceAcrossLifetimes(hub: Hub) {
  const tokens = tokenIssuer();
  const server = await serveWithTokens(hub, tokens);
  let token = tokens.issue();
  const received: number[] = [];
  let unauthorized = 0;
  const client = createSseClient<Events>(server.url, {
    // Read on every connect: a stream that ended for its token's expiry comes back with a new one.
    headers: () => ({ authorization: `Bearer ${token}` }),
    onUnauthorized: () => {
      unauthorized += 1;
      token = tokens.issue();
      return true;
    },
  });
  let warmedUp = false;
  client.on('news', (data) => {
    if (data.n === 0) warmedUp = true;
    else received.push(data.n);
  });
  try {
    // Live delivery has begun once a first event arrives (a Redis broker starts its read loop
    // when a topic first has a subscriber): the lifetimes are what is tested here.
    while (!warmedUp) {
      await hub.publish('news', { event: 'news', data: { n: 0 } });
      await sleep(50);
    }
    // Refresh ahead of expiry, as an app's token refresh does.
    const refresher = setInterval(() => {
      token = tokens.issue();
    }, TOKEN_TTL_MS / 2);
    for (let n = 1; n <= EVENTS; n++) {
      await hub.publish('news', { event: 'news', data: { n } });
      await sleep(PUBLISH_EVERY_MS);
    }
    clearInterval(refresher);
    await until(
      () => received.length >= EVENTS,
      () => `${EVENTS} events, got ${received.length}: ${received.join(',')}`,
    );
  } finally {
    client.close();
    await server.close();
  }
  expect(received).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
  // Several lifetimes, each on a token that was fresh when it connected.
  expect(new Set(server.tokensSeen).size).toBeGreaterThanOrEqual(3);
  // A reconnection that came after its token expired (a loaded machine delays the refresh) went
  // through onUnauthorized; most must not.
  expect(unauthorized).toBeLessThan(server.tokensSeen.length / 2);
}

describe('a stream ends before its token expires and the client resumes with a fresh one', () => {
  it('in-process hub', async () => {
    const hub = createHub();
    try {
      await everyEventOnceAcrossLifetimes(hub);
    } finally {
      await hub.close();
    }
  });

  const prefix = randomPrefix();
  afterAll(() => deleteKeysUnder(prefix));

  it('hub on Redis', async (context) => {
    if (!(await redisIsAvailable('hub lifetime'))) return context.skip();
    const client = createRedisClient({ url: REDIS_URL });
    await client.connect();
    const hub = createHub({ broker: redisBroker({ client, key: `${prefix}news` }) });
    try {
      await everyEventOnceAcrossLifetimes(hub);
    } finally {
      await hub.close();
      client.destroy();
    }
  });
});

describe('a slow client whose buffer is full at its deadline', () => {
  it('gets the retry hint once it reads, and the end is not counted as an overflow', async () => {
    const hub = createHub();
    let stream: SseStream | undefined;
    const server = http.createServer((req, res) => {
      stream = openSseStream(req, res, {
        maxBufferedBytes: 64 * 1024,
        onOverflow: 'drop',
        heartbeat: false,
      });
      hub.subscribe(stream, 't');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = pausedClient(`http://127.0.0.1:${port}/`);
    try {
      const response = await client.response;
      // Past the kernel's socket buffers, until the stream's own buffer is full (an event dropped).
      const payload = 'x'.repeat(8 * 1024);
      for (let i = 0; i < 5000 && (stream?.overflows ?? 0) === 0; i++) {
        await hub.publish('t', { data: payload });
        await sleep(1);
      }
      const full = stream as SseStream;
      expect(full.overflows).toBeGreaterThan(0);
      const overflows = { stream: full.overflows, hub: hub.stats().overflows };

      full.closeAt(Date.now());
      await until(() => full.isClosed, 'the end of its life');
      await hub.publish('t', { data: 'after' });
      expect({ stream: full.overflows, hub: hub.stats().overflows }).toEqual(overflows);

      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.resume();
      await new Promise((resolve) => response.once('end', resolve));
      // The last block: the reconnection delay, after every event it had queued.
      expect(body).toMatch(/\n\nretry: \d+\n\n$/);
    } finally {
      client.destroy();
      await hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  });
});
