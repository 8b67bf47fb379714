/**
 * Latest-value topics on Redis, two instances (two hubs, each with its own broker and
 * connections, on one stream key), served over real sockets: the value of each key lives in a
 * hash beside the stream, written by the append script, so a client connecting or reconnecting
 * to either instance gets the latest value per key instead of a replay; the hash holds one value
 * per key however many are published. Once per client library and major.
 */

import { createHub, type Hub } from '@ssekit/core';
import { compareIds } from '@ssekit/core/broker';
import { redisBroker } from '@ssekit/redis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type FetchReader, fetchReader } from '../hub/support/clients.js';
import { type HubServer, serveHub } from '../hub/support/server.js';
import { sleep, until } from '../support/wait.js';
import { type AnyClient, CLIENT_NAMES, clientLibraries } from './support/clients.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis latest-value topics');
const prefix = randomPrefix();
let keys = 0;

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

// One hash tag: with partitions, both topics are in one partition, so one id resumes both.
const PRICES = '{market}:prices';
const NEWS = '{market}:news';
const latestValue = (topic: string) => topic === PRICES;

function values(reader: FetchReader): string[] {
  return reader.events.filter((event) => event.event === undefined).map((event) => event.data);
}

describe.skipIf(!available).each(CLIENT_NAMES)('latest-value topics on Redis over %s', (name) => {
  const library = clientLibraries[name];
  const clients: AnyClient[] = [];
  const hubs: Hub[] = [];
  const servers: HubServer[] = [];
  const readers: FetchReader[] = [];

  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.abort();
    for (const server of servers.splice(0)) await server.close();
    for (const hub of hubs.splice(0)) await hub.close();
    for (const client of clients.splice(0)) await library.close(client);
  });

  interface Instance {
    hub: Hub;
    url: string;
  }

  /** Two instances on one stream key, each served on 127.0.0.1. */
  async function twoInstances(partitions: number) {
    const key = `${prefix}latest:${++keys}`;
    const instances: Instance[] = [];
    for (let i = 0; i < 2; i++) {
      const client = await library.connected(REDIS_URL);
      clients.push(client);
      const broker = redisBroker({ client, key, partitions, onError: () => {} });
      await broker.ready();
      const hub = createHub({ broker, latestValue });
      hubs.push(hub);
      const server = await serveHub(hub);
      servers.push(server);
      instances.push({ hub, url: server.url });
    }
    return {
      key,
      a: instances[0] as Instance,
      b: instances[1] as Instance,
    };
  }

  function read(url: string, lastEventId?: string): FetchReader {
    const reader = fetchReader(
      `${url}?topics=${encodeURIComponent(`${PRICES},${NEWS}`)}`,
      lastEventId,
    );
    readers.push(reader);
    return reader;
  }

  describe.each([1, 4])('%i partition(s)', (partitions) => {
    it('a client of the other instance gets the snapshot, then live; a resumed one the keys updated since', async () => {
      const { key, a, b } = await twoInstances(partitions);
      const price = (symbol: string, value: number) =>
        a.hub.publish(PRICES, { data: `${symbol}=${value}` }, { key: symbol });
      await price('AAPL', 1);
      const seen = await price('MSFT', 1);
      for (let value = 2; value <= 50; value++) await price('AAPL', value);
      await a.hub.publish(NEWS, { data: 'news=1' });
      // Past what a partition's first subscriber may also get (start-position.ts): entries stamped
      // within the time its start read waited on Redis, which under load reaches 100 ms or more.
      await sleep(1_000);

      const fresh = read(b.url);
      await until(() => values(fresh).length === 2, 'the snapshot on the other instance');
      await price('GOOG', 1);
      await until(() => values(fresh).includes('GOOG=1'), 'a live event from the other instance');
      expect(values(fresh)).toEqual(['MSFT=1', 'AAPL=50', 'GOOG=1']);

      const resumed = read(b.url, seen);
      await until(() => values(resumed).includes('GOOG=1'), 'the keys updated since');
      // News is replayed from the stream, merged with the snapshot in id order.
      expect(values(resumed)).toEqual(['AAPL=50', 'news=1', 'GOOG=1']);
      for (const reader of [fresh, resumed]) {
        const ids = reader.events.map((event) => event.id).filter((id) => id !== '');
        for (let i = 1; i < ids.length; i++) {
          expect(compareIds(ids[i - 1] as string, ids[i] as string)).toBeLessThan(0);
        }
      }

      // One value per key in the hash, however many were published.
      const probe = await library.connected(REDIS_URL);
      clients.push(probe);
      const hashes = partitions === 1 ? [`${key}:latest`] : undefined;
      const lengths = await Promise.all(
        (hashes ?? Array.from({ length: partitions }, (_, p) => `${key}:{${p}}:latest`)).map(
          (hash) => ('hLen' in probe ? probe.hLen(hash) : probe.hlen(hash)),
        ),
      );
      expect(lengths.reduce((sum, length) => sum + Number(length), 0)).toBe(3);
    });
  });
});
