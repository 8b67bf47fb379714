/**
 * A client that resumes on an instance that has just started, before its read loop's first read
 * returned: the replay must wait for the loop's position, so the events published meanwhile are
 * replayed, not lost between the replay and live delivery. The users never await anything.
 */
import { createHub, type Hub } from '@ssekit/core';
import { type RedisBroker, redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type FetchReader, fetchReader } from '../hub/support/clients.js';
import { type HubServer, serveHub } from '../hub/support/server.js';
import { sleep, until } from '../support/wait.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';
import { relayToRedis } from './support/relay.js';

const available = await redisIsAvailable('redis startup race');
const prefix = randomPrefix();

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

describe.skipIf(!available)('resuming on an instance that has just started', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function instance(key: string, readerUrl = REDIS_URL) {
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    await client.connect();
    const broker: RedisBroker = redisBroker({
      client,
      key,
      onError: () => {},
      createReader: () => {
        const reader = createClient({ url: readerUrl });
        reader.on('error', () => {});
        return reader;
      },
    });
    const hub: Hub = createHub({ broker });
    cleanups.push(async () => {
      await hub.close();
      await client.close();
    });
    return { hub, broker };
  }

  it('replays the events published before its first read returned, then goes live', async () => {
    const key = `${prefix}startup`;
    const publisher = await instance(key);
    await publisher.broker.ready();
    const before: string[] = [];
    for (let n = 1; n <= 3; n++)
      before.push(await publisher.hub.publish('t', { data: { seq: n } }));

    const relay = await relayToRedis({ held: true });
    cleanups.push(() => relay.close());
    const fresh = await instance(key, relay.url);
    const server: HubServer = await serveHub(fresh.hub);
    cleanups.push(() => server.close());
    expect(fresh.broker.cursor()).toBeUndefined();

    // The client resumes after the first event while the new instance's loop is still waiting.
    const reader: FetchReader = fetchReader(server.url, before[0]);
    cleanups.push(() => reader.abort());
    await until(() => server.streams.length === 1, 'the stream to open');
    // Time for a replay that does not wait to run to the end of the stream as it is now.
    await sleep(300);
    const meanwhile = await publisher.hub.publish('t', { data: { seq: 4 } });
    relay.release();
    await fresh.broker.ready();
    const after = await publisher.hub.publish('t', { data: { seq: 5 } });

    await until(
      () => reader.events.some((event) => event.id === after),
      'the event published once the instance was live',
    );
    expect(reader.events.map((event) => event.id)).toEqual([
      before[1],
      before[2],
      meanwhile,
      after,
    ]);
    expect(reader.events.map((event) => JSON.parse(event.data).seq)).toEqual([2, 3, 4, 5]);
  });
});
