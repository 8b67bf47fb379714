/**
 * A Redis that stops answering while its connections stay open (a network partition, not a
 * crash), for each supported client: a proxy blackholes the publishing broker's connection and
 * later closes it, as the operating system eventually would. The behaviour is the connection's,
 * not the deployment's, so one node stands for a cluster's master here. A second instance, on
 * Redis directly, has a live SSE subscriber that must get each stored event once.
 */
import { type RedisBroker, redisBroker } from '@ssekit/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/wait.js';
import { type AnyClient, CLIENT_NAMES, clientLibraries } from './support/clients.js';
import { commandOnce } from './support/command-once.js';
import { cuttingProxy, PUBLISH_CALL } from './support/cutting-proxy.js';
import { type Instance, removeInstanceBundle, startInstance } from './support/instances.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';
import { sseClient } from './support/sse-client.js';

const available = await redisIsAvailable('redis blackhole');
const prefix = randomPrefix();

/** How long a publish may wait to be sent again after its reply was lost (`RETRY_MS`). */
const RETRY_MS = 10_000;

/** A promise whose outcome can be read without awaiting it. */
function watched<T>(promise: Promise<T>) {
  const state: { phase: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = {
    phase: 'pending',
  };
  const settled = promise.then(
    (value) => {
      Object.assign(state, { phase: 'resolved', value });
    },
    (error: unknown) => {
      Object.assign(state, { phase: 'rejected', error });
    },
  );
  return { state, settled };
}

/** How many publish script calls `chunks` carry. */
const publishCalls = (chunks: readonly Buffer[]) =>
  chunks.reduce((sum, chunk) => sum + chunk.toString('latin1').split(PUBLISH_CALL).length - 1, 0);

const publishN = (broker: RedisBroker, n: number) =>
  broker.publish({ topic: 'a', data: JSON.stringify({ n, by: 'blackholed' }) });

describe.skipIf(!available)('a Redis that stops answering without closing the connection', () => {
  afterAll(async () => {
    removeInstanceBundle();
    await deleteKeysUnder(prefix);
  });

  // Each client's run waits out a publish's whole retry window; the four run side by side.
  it.concurrent.each(CLIENT_NAMES)(
    '%s: a publish stays pending while blackholed, then settles once the connection closes',
    async (name) => {
      const key = `${prefix}${name.replace(' ', '')}`;
      const library = clientLibraries[name];
      const proxy = await cuttingProxy(REDIS_URL);
      let instance: Instance | undefined;
      let client: AnyClient | undefined;
      let broker: RedisBroker | undefined;
      const subscriber = sseClient(['a']);
      try {
        instance = await startInstance({
          name: `reader-${key}`,
          redisUrl: REDIS_URL,
          key,
          client: 'node-redis 6',
        });
        await subscriber.connect(instance.url);
        await subscriber.waitFor((events) => events.length > 0);

        client = await library.connected(proxy.url);
        broker = redisBroker({ client, key, onError: () => {} });
        await broker.ready();
        // Loads the script, so that the held send is the publish itself.
        await publishN(broker, 0);

        // The first publish reaches Redis and is stored; its reply never comes back.
        const holding = proxy.blackholeNext(PUBLISH_CALL, 'before-reply');
        const startedAt = performance.now();
        const stored = watched(publishN(broker, 1));
        await holding;
        await subscriber.waitFor(() => subscriber.received === 2);

        // The second is sent into the blackhole later, and never reaches Redis.
        await sleep(RETRY_MS - 2_500);
        const lost = watched(publishN(broker, 2));

        // Past the first publish's retry window, neither has settled: no timeout of the broker's
        // or the client's ends a send that no reply answers.
        await sleep(RETRY_MS + 500 - (performance.now() - startedAt));
        expect(stored.state.phase).toBe('pending');
        expect(lost.state.phase).toBe('pending');
        expect(subscriber.received).toBe(2);
        // Nothing was sent again meanwhile: the one script call in the blackhole is the second's.
        expect(publishCalls(proxy.swallowed)).toBe(1);

        proxy.closeBlackholed();
        await Promise.all([stored.settled, lost.settled]);
        // Too late to send the first again: it may have been stored (it was).
        expect(stored.state.phase).toBe('rejected');
        expect(stored.state.error).toMatchObject({
          code: 'ERR_SSE_PUBLISH_UNCERTAIN',
          message: expect.stringMatching(/may or may not have been stored/),
        });
        // The second, still within its window, is sent again once the client reconnects.
        expect(lost.state.phase, String(lost.state.error)).toBe('resolved');

        // A marker published after both: whatever was stored before it has been delivered.
        await publishN(broker, 3);
        await subscriber.waitFor(() => subscriber.received >= 4);
        expect(subscriber.data().map((event) => event.n)).toEqual([0, 1, 2, 3]);
        expect(subscriber.events.filter((event) => event.event === 'ssekit:reset')).toEqual([]);
        expect(await commandOnce(REDIS_URL, ['XLEN', key])).toBe(4);
      } finally {
        subscriber.disconnect();
        await broker?.close();
        if (client !== undefined) await library.close(client);
        await instance?.stop();
        await proxy.close();
      }
    },
    // A bound on a hung run, not a speed check: a run takes 17-26 s beside five other files on
    // two cores (its own waits are 10.5 s), and four running side by side reached 30 s twice.
    60_000,
  );
});
