/**
 * Redis going away under a running instance, for each supported client (node-redis 5 and 6,
 * ioredis 5 and 6): a private redis-server is stopped mid-stream and started again. Clients stay
 * connected (heartbeats keep flowing), publish fails with a clear error, the process survives, and
 * delivery resumes from the read loop's cursor; when Redis comes back without the stream,
 * subscribers get the reset signal.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../support/wait.js';
import { CLIENT_NAMES } from './support/clients.js';
import { type Instance, removeInstanceBundle, startInstance } from './support/instances.js';
import { canRunRedisServer, type PrivateRedis, privateRedis } from './support/private-redis.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';
import { type RedisSseClient, sequence, sseClient } from './support/sse-client.js';

const available = (await redisIsAvailable('redis outage')) && (await redisServerRuns());

/** The outage suites start their own redis-server; with CI set, not finding it fails the run. */
async function redisServerRuns(): Promise<boolean> {
  if (await canRunRedisServer()) return true;
  const message = 'redis-server cannot be started here (install the redis-server package).';
  if (process.env.CI) throw new Error(`${message} CI is set, so the outage suites must run.`);
  console.warn(`[redis outage] skipped: ${message}`);
  return false;
}
const prefix = randomPrefix();
const KEY = 'ssekit:outage';

const resets = (client: RedisSseClient) =>
  client.events.filter((event) => event.event === 'ssekit:reset');

/** Publishes until the instance accepts (Redis just came back), bounded in time. */
async function publishWhenUp(instance: Instance, count: number, start: number) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const result = await instance.publish('a', count, start);
    if (result.status === 200) return result;
    if (Date.now() > deadline) throw new Error(`publish still failing: ${result.error}`);
    await sleep(50);
  }
}

/**
 * Publishes until the instance refuses, bounded in time. It first waits until the instance has
 * reported the outage: a publish written to a socket the client has not yet seen close would be
 * kept by ioredis and sent again once Redis is back.
 */
async function publishUntilRefused(instance: Instance) {
  const deadline = Date.now() + 10_000;
  while (!instance.stderr.join('').includes('Live delivery pauses')) {
    if (Date.now() > deadline) throw new Error('the instance never reported the outage');
    await sleep(20);
  }
  for (;;) {
    const result = await instance.publish('a', 1, -1);
    if (result.status !== 200) return result;
    if (Date.now() > deadline) throw new Error('publish kept succeeding with Redis stopped');
    await sleep(20);
  }
}

describe.skipIf(!available).each(CLIENT_NAMES)('Redis outage with %s', (kind) => {
  let redis: PrivateRedis | undefined;
  let instance: Instance | undefined;
  const clients: RedisSseClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await instance?.stop();
    await redis?.dispose();
    instance = undefined;
    redis = undefined;
  });
  afterAll(() => removeInstanceBundle());

  const setUp = async () => {
    redis = await privateRedis();
    instance = await startInstance({
      name: `${kind.replace(' ', '')}-instance`,
      redisUrl: redis.url,
      key: KEY,
      client: kind,
      heartbeatMs: 200,
      blockMs: 1000,
    });
    const client = sseClient(['a']);
    clients.push(client);
    await client.connect(instance.url);
    await client.waitFor((events) => events.length > 0);
    return { redis, instance, client };
  };

  // A publish sent as the connection drops waits up to 10 s for Redis: more than the default.
  it('keeps clients connected through the outage and resumes delivery from its cursor', {
    timeout: 40_000,
  }, async () => {
    const { redis, instance, client } = await setUp();
    expect((await instance.publish('a', 10, 0)).status).toBe(200);
    await client.waitFor(() => client.received === 10);

    await redis.stop('SAVE');
    const refused = await publishUntilRefused(instance);
    expect(refused.status).toBe(503);
    // Refused at once, or (a publish sent as the connection dropped) after waiting for Redis.
    expect(refused.error).toMatch(/ssekit\/redis: .*(not connected|may or may not)/);
    const heartbeatsBefore = client.comments.length;
    await client.waitFor(() => client.comments.length >= heartbeatsBefore + 3);
    expect(client.connected).toBe(true);
    expect(instance.child.exitCode).toBeNull();

    // A client reconnecting during the outage is closed (it retries), never told to reset.
    const during = sseClient(['a'], client.lastEventId);
    clients.push(during);
    await during.connect(instance.url).catch(() => {});
    await during.ended;
    expect(resets(during)).toEqual([]);

    await redis.start();
    // The script cache is empty after a restart: publishing falls back from EVALSHA to EVAL.
    const result = await publishWhenUp(instance, 10, 10);
    expect(result.ids).toHaveLength(10);
    await client.waitFor(() => client.received >= 20);
    expect(client.data().map((event) => event.n)).toEqual(sequence(0, 20));
    expect(resets(client)).toEqual([]);
    expect(client.connected).toBe(true);
    // Reported once per outage (at most once more in a race with a late reconnect error), not
    // once per reconnect attempt.
    const reports = instance.stderr.join('').split('Live delivery pauses').length - 1;
    expect(reports).toBeGreaterThanOrEqual(1);
    expect(reports).toBeLessThanOrEqual(2);
  });

  // A publish sent as the connection drops waits up to 10 s for Redis: more than the default.
  it('sends the reset signal when Redis comes back without the events', {
    timeout: 40_000,
  }, async () => {
    const { redis, instance, client } = await setUp();
    expect((await instance.publish('a', 10, 0)).status).toBe(200);
    await client.waitFor(() => client.received === 10);
    const idBefore = client.lastEventId as string;

    await redis.stop('NOSAVE');
    await publishUntilRefused(instance);
    await redis.start();
    await publishWhenUp(instance, 1, 10);
    await client.waitFor(() => client.received >= 11);
    expect(resets(client)).toHaveLength(1);
    const resetAt = client.events.findIndex((event) => event.event === 'ssekit:reset');
    const newEventAt = client.events.findIndex((event) => event.data.includes('"n":10'));
    expect(resetAt).toBeLessThan(newEventAt);
    expect(instance.child.exitCode).toBeNull();

    // A client coming back with an id from the lost stream is told to reset too.
    const returning = sseClient(['a'], idBefore);
    clients.push(returning);
    await returning.connect(instance.url);
    await returning.waitFor((events) => events.some((event) => event.event === 'ssekit:reset'));
  });
});

describe.skipIf(!available)(
  'an instance that stalls while its undelivered entries are trimmed',
  () => {
    let instances: Instance[] = [];

    afterAll(async () => {
      for (const instance of instances) {
        instance.child.kill('SIGCONT');
        await instance.stop();
      }
      removeInstanceBundle();
      if (available) await deleteKeysUnder(prefix);
    });

    it('tells its subscribers to reset, then continues live', async () => {
      const key = `${prefix}stall`;
      const [publisher, stalled] = await Promise.all(
        (['node-redis 6', 'ioredis 6'] as const).map((kind) =>
          startInstance({
            name: `stall-${kind.replace(' ', '')}`,
            redisUrl: REDIS_URL,
            key,
            client: kind,
            maxEvents: 100,
          }),
        ),
      );
      instances = [publisher as Instance, stalled as Instance];
      const client = sseClient(['a']);
      await client.connect((stalled as Instance).url);
      expect((await (publisher as Instance).publish('a', 3, 0)).status).toBe(200);
      await client.waitFor(() => client.received === 3);

      (stalled as Instance).child.kill('SIGSTOP');
      for (let batch = 0; batch < 6; batch++) {
        expect((await (publisher as Instance).publish('a', 100, 3 + batch * 100)).status).toBe(200);
      }
      (stalled as Instance).child.kill('SIGCONT');
      await client.waitFor((events) => events.some((event) => event.event === 'ssekit:reset'));
      expect((await (publisher as Instance).publish('a', 1, 603)).status).toBe(200);
      await client.waitFor(() => client.data().at(-1)?.n === 603);
      // What came after the reset is in order and without repeats.
      const afterReset = client.events
        .slice(client.events.findIndex((event) => event.event === 'ssekit:reset') + 1)
        .filter((event) => event.event === undefined)
        .map((event) => (JSON.parse(event.data) as { n: number }).n);
      expect(afterReset).toEqual(sequence(afterReset[0] as number, afterReset.length));
      client.disconnect();
    });
  },
);
