/**
 * The example end to end against the real Redis: two instances (own Redis connections) behind
 * the balancer, read by the `eventsource` package as the browser page reads them.
 */
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteKeysUnder,
  REDIS_URL,
  randomPrefix,
  redisIsAvailable,
} from '../../../test/redis/support/redis.js';
import { until } from '../../../test/support/wait.js';
import { startBalancer } from '../balancer.js';
import { startInstance } from '../instance.js';

const available = await redisIsAvailable('multi-instance example');
const prefix = randomPrefix();

interface Received {
  instance: string | undefined;
  messages: Array<{ id: string; by: string; text: string }>;
  source: EventSource;
}

function listen(url: string): Received {
  const received: Received = { instance: undefined, messages: [], source: new EventSource(url) };
  received.source.addEventListener('instance', (event) => {
    received.instance = event.data;
  });
  received.source.addEventListener('message', (event) => {
    received.messages.push({ id: event.lastEventId, ...JSON.parse(event.data) });
  });
  return received;
}

describe.skipIf(!available)('multi-instance example', () => {
  type Started = Awaited<ReturnType<typeof startInstance>>;
  let a: Started;
  let b: Started;
  let balancer: Awaited<ReturnType<typeof startBalancer>>;
  const sources: EventSource[] = [];

  beforeAll(async () => {
    const key = `${prefix}example`;
    [a, b] = await Promise.all([
      startInstance({ name: 'A', redisUrl: REDIS_URL, key, tickMs: 0 }),
      startInstance({ name: 'B', redisUrl: REDIS_URL, key, tickMs: 0 }),
    ]);
    balancer = await startBalancer({ targets: [a.url, b.url] });
  });

  afterAll(async () => {
    for (const source of sources) source.close();
    await balancer?.close();
    await Promise.all([a?.close(), b?.close()]);
    if (available) await deleteKeysUnder(prefix);
  });

  it('serves the page through the balancer', async () => {
    const response = await fetch(balancer.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Two instances, one Redis stream');
  });

  it('spreads connections over both instances, and every event reaches both', async () => {
    const first = listen(`${balancer.url}/events`);
    const second = listen(`${balancer.url}/events`);
    sources.push(first.source, second.source);
    await until(() => first.instance !== undefined && second.instance !== undefined, 'instances');
    expect(new Set([first.instance, second.instance])).toEqual(new Set(['A', 'B']));

    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${balancer.url}/publish`, { method: 'POST' });
      expect(response.status).toBe(200);
    }
    await until(() => first.messages.length === 3 && second.messages.length === 3, 'events');
    expect(first.messages).toEqual(second.messages);
    expect(new Set(first.messages.map((message) => message.by))).toEqual(new Set(['A', 'B']));
  });

  it('resumes on the other instance from the last id, as the page does', async () => {
    const onA = listen(`${a.url}/events`);
    sources.push(onA.source);
    await until(() => onA.instance === 'A', 'instance A');
    await fetch(`${a.url}/publish`, { method: 'POST' });
    await until(() => onA.messages.length === 1, 'the first event');
    onA.source.close();
    const lastId = onA.messages[0]?.id as string;

    const missed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${a.url}/publish`, { method: 'POST' });
      missed.push(((await response.json()) as { id: string }).id);
    }
    const onB = listen(`${b.url}/events?lastEventId=${encodeURIComponent(lastId)}`);
    sources.push(onB.source);
    await until(() => onB.messages.length === 5, 'the missed events');
    expect(onB.instance).toBe('B');
    expect(onB.messages.map((message) => message.id)).toEqual(missed);
  });
});
