/**
 * A topic's first local subscriber on an instance, and events another instance publishes right
 * after it subscribed: in the same turn, the next one, or a moment later. With partitions, the
 * instance starts reading the topic's partition only now; with one stream, it is read already.
 * Every event must reach the client exactly once, in order, with or without a `Last-Event-ID`.
 * Each case runs many times over real Redis and HTTP (fetch + eventsource-parser), bounded in
 * time, since a lost event shows only when the timing falls a certain way.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub, type Hub } from '@ssekit/core';
import { openSseStream } from '@ssekit/core/node';
import { type RedisBroker, redisBroker } from '@ssekit/redis';
import { createClient } from 'redis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type FetchReader, fetchReader } from '../hub/support/clients.js';
import { until } from '../support/wait.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis first subscriber');
const prefix = randomPrefix();
let keys = 0;

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

/**
 * Each case runs this many rounds at most, for about this long at most, but at least the rounds
 * it asks for however slow the machine is. `npm run soak` (SSEKIT_SOAK=1) runs them far longer.
 */
const SOAK = process.env.SSEKIT_SOAK === '1';
const ROUNDS = SOAK ? 5_000 : 200;
const ROUNDS_MS = SOAK ? 60_000 : 2_000;
/** Events published per round: one in the subscribe's turn, one in the next, one a bit later. */
const WHEN = ['same turn', 'next turn', 'after 1 ms'] as const;

interface Instance {
  hub: Hub;
  broker: RedisBroker;
  url: string;
  /** Runs `listener` in the turn the server subscribed a request's stream, right after. */
  onSubscribed(listener: (topic: string) => void): void;
}

/** How a round goes for the client; each is a case of its own. */
interface Round {
  /** It resumes with the id of an event it saw, and one it missed is published first. */
  resume?: boolean;
  /** Its instance publishes a burst on other topics just before it subscribes. */
  busy?: boolean;
  /** Its instance is created for the round and not awaited: its read loop has not read yet. */
  fresh?: boolean;
}

describe.skipIf(!available)("a topic's first subscriber on an instance", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const instance = async (key: string, partitions: number, ready = true): Promise<Instance> => {
    const client = createClient({ url: REDIS_URL });
    client.on('error', () => {});
    const broker = redisBroker({ client, key, partitions, onError: () => {} });
    const hub = createHub({ broker });
    let subscribed: (topic: string) => void = () => {};
    const server = http.createServer((req, res) => {
      const topic = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('topic') ?? 't';
      hub.subscribe(openSseStream(req, res, { heartbeat: false }), topic);
      subscribed(topic);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await hub.close();
    });
    if (ready) await broker.ready();
    const { port } = server.address() as AddressInfo;
    return {
      hub,
      broker,
      url: `http://127.0.0.1:${port}/`,
      onSubscribed: (listener) => {
        subscribed = listener;
      },
    };
  };

  const data = (reader: FetchReader) =>
    reader.events.filter((event) => event.event === undefined).map((event) => event.data);

  /**
   * Rounds of: a client subscribes to a new topic on an instance; in the turn that instance
   * subscribed it, another publishes one event, then one in the next turn, then one after a
   * millisecond. At least `atLeast` rounds; throws on the first round whose client got anything
   * other than every event once, in order.
   */
  const rounds = async (partitions: number, { resume, busy, fresh }: Round, atLeast: number) => {
    const key = `${prefix}{hub${++keys}}`;
    const publisher = await instance(key, partitions);
    const settled = fresh ? undefined : await instance(key, partitions);
    const started = Date.now();
    const more = (round: number) =>
      round < ROUNDS && (round < atLeast || Date.now() - started < ROUNDS_MS);
    for (let round = 0; more(round); round++) {
      const reader = settled ?? (await instance(key, partitions, false));
      const topic = `user:{${round}}:inbox`;
      let lastEventId: string | undefined;
      const expected: string[] = [];
      if (resume) {
        lastEventId = await publisher.hub.publish(topic, { data: 'seen' });
        await publisher.hub.publish(topic, { data: 'missed' });
        expected.push('missed');
      }
      expected.push(...WHEN.map((when) => `${round} ${when}`));
      const published: Promise<string>[] = [];
      reader.onSubscribed((subscribedTo) => {
        if (subscribedTo !== topic) return;
        const publish = (when: (typeof WHEN)[number]) =>
          published.push(publisher.hub.publish(topic, { data: `${round} ${when}` }));
        publish('same turn');
        setImmediate(() => publish('next turn'));
        setTimeout(() => publish('after 1 ms'), 1);
      });
      // About 1.2 MB in flight on the instance's connection as the client's request arrives.
      const noise = busy
        ? Array.from({ length: 300 }, (_, n) =>
            reader.hub.publish(`feed:${n}`, { data: 'x'.repeat(4000) }),
          )
        : [];
      const client = fetchReader(`${reader.url}?topic=${encodeURIComponent(topic)}`, lastEventId);
      try {
        await until(
          () => data(client).length >= expected.length,
          () => `round ${round}: ${JSON.stringify(data(client))} of ${JSON.stringify(expected)}`,
          5_000,
        );
        await Promise.all([...published, ...noise]);
        expect(data(client), `round ${round}`).toEqual(expected);
      } finally {
        client.abort();
        await client.done;
      }
    }
  };

  for (const partitions of [8, 1]) {
    describe(partitions === 1 ? 'one stream' : `${partitions} partitions`, () => {
      it(
        'gets every event published from its subscribe on, once and in order',
        async () => {
          await rounds(partitions, {}, 21);
        },
        ROUNDS_MS + 18_000,
      );

      it(
        'gets them while its instance has a burst of its own publishes in flight',
        async () => {
          await rounds(partitions, { busy: true }, 6);
        },
        ROUNDS_MS + 18_000,
      );

      it(
        'gets them on an instance just created, before its read loop first read',
        async () => {
          await rounds(partitions, { fresh: true }, 6);
        },
        ROUNDS_MS + 18_000,
      );

      it(
        'resuming with a Last-Event-ID, gets what it missed and every later event',
        async () => {
          await rounds(partitions, { resume: true }, 21);
        },
        ROUNDS_MS + 18_000,
      );
    });
  }
});
