/**
 * Memory per client during a Redis replay: clients that resume far behind and do not read must
 * cost the server no more than live delivery would (the stream's buffer limit plus a stated
 * constant), however long the history they are owed. Measured, not timed: the heap and the
 * buffers after a full collection, before and while the paused clients wait.
 */
import { createHub, type Hub } from '@ssekit/core';
import { type RedisBroker, redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type HubServer, serveHub } from '../hub/support/server.js';
import { openPausedClient, type PausedClient } from '../reliability/support/clients.js';
import { collectGarbage } from '../reliability/support/measure.js';
import { until } from '../support/wait.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis replay memory');
const prefix = randomPrefix();

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

const PAUSED = 50;
const MAX_BUFFERED = 256 * 1024;
/** More history than the kernel takes into a paused socket's buffers (megabytes on loopback). */
const HISTORY = 6000;
const EVENT_BYTES = 2048;
/**
 * What the Redis README states beyond the buffer limit, with room to spare: one replay page
 * (about 64 KiB of entries, as the reply and as parsed text), the response's own high-water mark,
 * and the connection's objects.
 */
const CONSTANT = 512 * 1024;

function heldBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe.skipIf(!available)('paused clients resuming far behind on Redis', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  // Bounded by the wait below, not by the default test timeout: 12 MB of history replayed into
  // 50 sockets is slow on two busy cores, and nothing here is timed.
  it(`hold at most the buffer limit plus a constant each (${PAUSED} clients)`, {
    timeout: 90_000,
  }, async () => {
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    await client.connect();
    const broker: RedisBroker = redisBroker({ client, key: `${prefix}replay`, onError: () => {} });
    const hub: Hub = createHub({ broker });
    cleanups.push(async () => {
      await hub.close();
      await client.close();
    });
    const server: HubServer = await serveHub(hub, {
      stream: { maxBufferedBytes: MAX_BUFFERED, heartbeat: false },
    });
    cleanups.push(() => server.close());
    await broker.ready();

    const from = broker.cursor() as string;
    const payload = 'h'.repeat(EVENT_BYTES);
    for (let sent = 0; sent < HISTORY; ) {
      const batch: Array<Promise<string>> = [];
      for (let i = 0; i < 200; i++, sent++) batch.push(hub.publish('t', { data: payload }));
      await Promise.all(batch);
    }
    await collectGarbage();
    const baseline = heldBytes();

    const { port } = new URL(server.url);
    const paused: PausedClient[] = [];
    cleanups.push(() => {
      for (const client of paused) client.destroy();
    });
    for (let i = 0; i < PAUSED; i++) {
      paused.push(openPausedClient(Number(port), `/?topics=t&lastEventId=${from}`));
    }
    // Each replay has gone as far as its client lets it: the stream holds bytes it cannot write.
    await until(
      () =>
        server.streams.length === PAUSED &&
        server.streams.every((stream) => stream.isClosed || stream.bufferedBytes > 0),
      'every replay to wait for its client',
      60_000,
    );
    await collectGarbage();
    const perClient = (heldBytes() - baseline) / PAUSED;
    console.info(
      `[replay memory] ${PAUSED} paused clients: ${Math.round(perClient / 1024)} KiB each ` +
        `(bound ${Math.round((MAX_BUFFERED + CONSTANT) / 1024)} KiB)`,
    );
    expect(perClient).toBeLessThan(MAX_BUFFERED + CONSTANT);
    // The bound comes from the replay waiting for its client, not from cutting clients off.
    expect(server.streams.every((stream) => !stream.isClosed)).toBe(true);
  });
});
