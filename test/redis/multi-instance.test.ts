/**
 * Several server processes sharing one Redis stream, with real HTTP clients: fan-out to every
 * instance, resume on another instance with Last-Event-ID, an instance killed under load, and
 * history trimmed beyond the window. Instances mix node-redis 5 and 6 and ioredis 5 and 6.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Instance, removeInstanceBundle, startInstance } from './support/instances.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';
import { type RedisSseClient, sequence, sseClient } from './support/sse-client.js';

const available = await redisIsAvailable('redis multi-instance');
const prefix = randomPrefix();

describe.skipIf(!available)('three instances on one Redis stream', () => {
  const key = `${prefix}shared`;
  let instances: Instance[] = [];
  const clients: RedisSseClient[] = [];
  let next = 0;
  const publish = async (via: Instance, topic: string, count: number) => {
    const result = await via.publish(topic, count, next);
    expect(result.status, result.error).toBe(200);
    next += count;
    return result.ids;
  };
  const open = async (instance: Instance, topics = ['a']) => {
    const client = sseClient(topics);
    clients.push(client);
    await client.connect(instance.url);
    // The hub's first event hands the client its position.
    await client.waitFor((events) => events.length > 0);
    return client;
  };

  beforeAll(async () => {
    instances = await Promise.all(
      (['node-redis 6', 'ioredis 6', 'node-redis 5'] as const).map((kind, index) =>
        startInstance({ name: `instance-${index + 1}`, redisUrl: REDIS_URL, key, client: kind }),
      ),
    );
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(instances.map((instance) => instance.stop()));
    removeInstanceBundle();
    if (available) await deleteKeysUnder(prefix);
  });

  it('delivers an event published on any instance to every client on every instance, in order', async () => {
    const [one, two, three] = instances as [Instance, Instance, Instance];
    const everyone = await Promise.all(
      [one, one, two, two, three, three].map((instance) => open(instance)),
    );
    const start = next;
    await publish(one, 'a', 20);
    await publish(two, 'a', 20);
    await publish(three, 'a', 20);
    for (const client of everyone) {
      await client.waitFor(() => client.received >= 60);
      expect(client.data().map((event) => event.n)).toEqual(sequence(start, 60));
      const ids = client.events.slice(1).map((event) => event.id as string);
      expect(new Set(ids).size).toBe(60);
    }
    for (const client of everyone) client.disconnect();
  });

  it('resumes a client on another instance with exactly the 500 events it missed, in order', async () => {
    const [one, two, three] = instances as [Instance, Instance, Instance];
    const client = await open(one, ['a']);
    const other = await open(one, ['b']);
    await publish(three, 'a', 5);
    await client.waitFor(() => client.received === 5);
    client.disconnect();
    await client.ended;
    const missedFrom = next;
    // Interleave another topic: the replay must filter it out.
    for (let round = 0; round < 5; round++) {
      await publish(three, 'a', 100);
      await publish(one, 'b', 3);
    }
    const seenBefore = client.data().length;
    await client.connect(two.url);
    await client.waitFor(() => client.received >= seenBefore + 500);
    const resumed = client.data().slice(seenBefore);
    const expected = [0, 1, 2, 3, 4].flatMap((round) => sequence(missedFrom + round * 103, 100));
    expect(resumed.map((event) => event.n)).toEqual(expected);
    // Live delivery continues after the replay, with nothing repeated.
    const liveFrom = next;
    await publish(one, 'a', 3);
    await client.waitFor(() => client.received >= seenBefore + 503);
    expect(
      client
        .data()
        .slice(seenBefore + 500)
        .map((event) => event.n),
    ).toEqual(sequence(liveFrom, 3));
    expect(client.events.filter((event) => event.event === 'ssekit:reset')).toEqual([]);
    expect(other.data()).toHaveLength(15);
    client.disconnect();
    other.disconnect();
  });

  it('resets a client whose id Redis cannot read, once, without reporting an error', async () => {
    const outOfRange = [
      '99999999999999999999-1',
      '1-18446744073709551616',
      '18446744073709551615-18446744073709551615',
    ];
    for (const instance of instances.slice(0, 3)) {
      const stderrBefore = instance.stderr.join('');
      for (const id of outOfRange) {
        const client = sseClient(['a'], id);
        clients.push(client);
        await client.connect(instance.url);
        await client.waitFor((events) => events.some((event) => event.event === 'ssekit:reset'));
        // Back with the id the reset handed over: served, not reset again.
        client.disconnect();
        await client.ended;
        expect(client.lastEventId).not.toBe(id);
        await client.connect(instance.url);
        const from = next;
        await publish(instance, 'a', 1);
        await client.waitFor(() => client.received === 1);
        expect(client.data().map((event) => event.n)).toEqual([from]);
        expect(client.events.filter((event) => event.event === 'ssekit:reset')).toHaveLength(1);
        client.disconnect();
      }
      expect(instance.stderr.join('')).toBe(stderrBefore);
    }
  });

  it('hands a client that saw no event a position, and resumes it from there elsewhere', async () => {
    const [one, two, three] = instances as [Instance, Instance, Instance];
    const client = await open(three, ['quiet']);
    expect(client.events[0]?.event).toBe('ssekit:cursor');
    expect(client.lastEventId).toMatch(/^\d+-\d+$/);
    client.disconnect();
    await client.ended;
    const from = next;
    await publish(one, 'quiet', 7);
    await client.connect(two.url);
    await client.waitFor(() => client.received >= 7);
    expect(client.data().map((event) => event.n)).toEqual(sequence(from, 7));
    client.disconnect();
  });

  it('loses nothing when an instance is SIGKILLed under load and its clients move elsewhere', async () => {
    const [one, two] = instances as [Instance, Instance];
    const victim = await startInstance({
      name: 'victim',
      redisUrl: REDIS_URL,
      key,
      client: 'ioredis 5',
    });
    instances.push(victim);
    const moved = await Promise.all(sequence(0, 8).map(() => open(victim)));
    const staying = await open(two);
    const from = next;
    const total = 400;
    // Publish 400 events in batches of 10 from instance 1 while the victim is killed midway.
    const publishing = (async () => {
      for (let sent = 0; sent < total; sent += 10) {
        await publish(one, 'a', 10);
        if (sent === 150) victim.child.kill('SIGKILL');
      }
    })();
    expect(await victim.exited).toBe('SIGKILL');
    for (const client of moved) {
      await client.ended;
      await client.connect(two.url);
    }
    await publishing;
    for (const client of [...moved, staying]) {
      await client.waitFor(() => client.received >= total);
      expect(client.data().map((event) => event.n)).toEqual(sequence(from, total));
      expect(client.events.filter((event) => event.event === 'ssekit:reset')).toEqual([]);
    }
    for (const client of [...moved, staying]) client.disconnect();
  });
});

describe.skipIf(!available)('history trimmed beyond the replay window', () => {
  const key = `${prefix}trimmed`;
  let small: Instance;
  let reader: Instance;
  const clients: RedisSseClient[] = [];

  beforeAll(async () => {
    // MAXLEN ~ 100 keeps between 100 and about 200 entries (Redis trims whole nodes of 100).
    [small, reader] = await Promise.all([
      startInstance({
        name: 'small',
        redisUrl: REDIS_URL,
        key,
        client: 'node-redis 5',
        maxEvents: 100,
      }),
      startInstance({
        name: 'reader',
        redisUrl: REDIS_URL,
        key,
        client: 'ioredis 6',
        maxEvents: 100,
      }),
    ]);
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all([small?.stop(), reader?.stop()]);
    removeInstanceBundle();
    if (available) await deleteKeysUnder(prefix);
  });

  it('replays within the window, and sends the reset signal once the id fell out of it', async () => {
    const within = sseClient(['a']);
    const beyond = sseClient(['a']);
    clients.push(within, beyond);
    await Promise.all([within.connect(small.url), beyond.connect(small.url)]);
    expect((await small.publish('a', 5, 0)).status).toBe(200);
    await within.waitFor(() => within.data().length === 5);
    await beyond.waitFor(() => beyond.data().length === 5);
    beyond.disconnect();
    await beyond.ended;
    expect((await small.publish('a', 50, 5)).status).toBe(200);
    await within.waitFor(() => within.data().length === 55);
    within.disconnect();
    await within.ended;
    expect((await small.publish('a', 60, 55)).status).toBe(200);
    // 60 events after `within` left: inside the window.
    await within.connect(reader.url);
    await within.waitFor(() => within.data().length === 115);
    expect(within.data().map((event) => event.n)).toEqual(sequence(0, 115));
    expect(within.events.some((event) => event.event === 'ssekit:reset')).toBe(false);
    // 500 more: `beyond` left 610 events ago, far past what MAXLEN ~ 100 keeps.
    for (let batch = 0; batch < 5; batch++) {
      expect((await small.publish('a', 100, 115 + batch * 100)).status).toBe(200);
    }
    await beyond.connect(reader.url);
    await beyond.waitFor((events) => events.some((event) => event.event === 'ssekit:reset'));
    const reset = beyond.events.find((event) => event.event === 'ssekit:reset');
    expect(reset?.id).toMatch(/^\d+-\d+$/);
    // After the reset the client is live again from the reset's position.
    expect((await small.publish('a', 1, 615)).status).toBe(200);
    await beyond.waitFor(() => beyond.data().at(-1)?.n === 615);
  });

  it('sends the reset signal for ids that are malformed or that no stream ever gave', async () => {
    for (const id of ['not-an-id', '99999999999999-1', '1-999999']) {
      const response = await fetch(`${reader.url}/events?topic=a`, {
        headers: { 'last-event-id': id },
      });
      const body = response.body?.getReader();
      let text = '';
      while (!text.includes('\n\n')) {
        const { value } = (await body?.read()) ?? {};
        text += new TextDecoder().decode(value);
      }
      await body?.cancel();
      expect(text, id).toContain('event: ssekit:reset');
    }
  });
});
