/**
 * The hub's `authorize` on every row of the server-factory table: a refused topic gets the
 * denied signal and none of its events while the allowed one flows, and a stream with no allowed
 * topic ends with the hub's retry hint. The decision is async (a database read), taken while the
 * adapter holds the request. Real servers on 127.0.0.1, fetch clients parsed by
 * eventsource-parser. The resume case (an old Last-Event-ID after a revocation, in-process and on
 * Redis) is test/hub/authorization.test.ts.
 */
import { createHub, DENIED_EVENT } from '@ssekit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../support/wait.js';
import { fetchStream } from './support/clients.js';
import type { TestEvents } from './support/scenario.js';
import { type RunningServer, serverFactories } from './support/servers.js';

const BUSY_RETRY = 7_000;

/** Anyone may read `news`; `payroll` is refused, after the time a permission lookup takes. */
async function mayRead(topic: string): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return topic === 'news';
}

describe.each(serverFactories)('$name', (factory) => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('a refused topic gets the denied signal and none of its events; the allowed one flows', async () => {
    const hub = createHub<TestEvents>({ authorize: mayRead, busyRetry: BUSY_RETRY });
    server = await factory.start({
      options: { heartbeat: false },
      run: (stream) => {
        hub.subscribe(stream, ['news', 'payroll'], { cursor: false });
      },
    });
    const client = await fetchStream(server.url);
    await until(() => hub.stats().openStreams === 1, 'the subscription');
    await hub.publish('payroll', { data: 'salaries' });
    await hub.publish('news', { data: 'headline' });
    await until(() => client.events.some((event) => event.data === 'headline'), 'the news');
    client.abort();
    expect(client.events.map((event) => `${event.event}:${event.data}`)).toEqual([
      `${DENIED_EVENT}:payroll`,
      'undefined:headline',
    ]);
    await until(() => hub.stats().openStreams === 0, 'the stream to be let go');
    await hub.close();
  });

  it('a stream with no allowed topic gets the denial and the retry hint, and ends', async () => {
    const hub = createHub<TestEvents>({ authorize: mayRead, busyRetry: BUSY_RETRY });
    server = await factory.start({
      options: { heartbeat: false },
      run: (stream) => {
        hub.subscribe(stream, 'payroll');
      },
    });
    const client = await fetchStream(server.url);
    await client.ended;
    expect(client.events.map((event) => `${event.event}:${event.data}`)).toEqual([
      `${DENIED_EVENT}:payroll`,
    ]);
    expect(client.retries.at(-1)).toBe(BUSY_RETRY);
    expect(hub.stats().openStreams).toBe(0);
    await hub.close();
  });
});
