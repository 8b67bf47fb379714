/**
 * One-call backpressure on every row of the server-factory table: `await stream.write()` waits
 * for a reader that stalls and resumes, `stream.pipe()` bounds what a slow reader costs and
 * releases its source when the client leaves. Real servers on 127.0.0.1, fetch clients parsed
 * by eventsource-parser. A hub's latest-value topic keeps a stalled reader instead of cutting it
 * off.
 */
import { createHub } from '@ssekit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../support/wait.js';
import { gatedFetchStream, settlesWithin } from './support/clients.js';
import type { TestEvents, TestStream } from './support/scenario.js';
import { type RunningServer, serverFactories } from './support/servers.js';

const HIGH_WATER_MARK = 16 * 1024;
const CHUNK = 'w'.repeat(64 * 1024);
/** Enough to fill any socket and kernel buffers between a stalled reader and the server. */
const MAX_WRITES = 512;
/** Makes 10,000 items more than the socket buffers hold, so a stalled reader holds the pipe. */
const PADDING = 'p'.repeat(1024);

/**
 * Writes until a write has to wait for the client, and returns that write (wrapped: an async
 * function would otherwise wait for it).
 */
async function writeUntilWaiting(stream: TestStream): Promise<{ write?: Promise<boolean> }> {
  for (let i = 0; i < MAX_WRITES; i++) {
    stream.send({ data: CHUNK });
    const write = stream.write({ data: 'marker' });
    if (await settlesWithin(write, 50)) continue;
    // Slow is not stalled: on a loaded machine a write the socket still takes can need longer.
    if (await settlesWithin(write, 500)) continue;
    return { write };
  }
  return {};
}

/** Counts what a pipe pulls from its source, and whether the source was released. */
function countedSource(limit: number) {
  const state = { pulled: 0, released: false };
  async function* items() {
    try {
      for (let i = 0; i < limit; i++) {
        state.pulled = i + 1;
        yield i;
      }
    } finally {
      state.released = true;
    }
  }
  return { state, items };
}

describe.each(serverFactories)('$name', (factory) => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("a hub's latest-value topic keeps a stalled reader, then gives it the newest value per key", async () => {
    const hub = createHub<TestEvents>({ latestValue: (topic) => topic === 'prices' });
    const keys = ['a', 'b', 'c'];
    await hub.publish('prices', { data: 'a=0' }, { key: 'a' });
    let stream: TestStream | undefined;
    server = await factory.start({
      // Far below what the rounds below publish: a plain topic would cut this client off.
      options: { heartbeat: false, highWaterMark: HIGH_WATER_MARK, maxBufferedBytes: 64 * 1024 },
      run: (opened) => {
        stream = opened;
        hub.subscribe(opened, 'prices');
      },
    });
    const client = await gatedFetchStream(server.url);
    await until(() => hub.stats().openStreams === 1, 'the subscription');
    const open = stream as TestStream;
    for (let round = 1; round <= MAX_WRITES && open.bufferedBytes === 0; round++) {
      await hub.publish('prices', { data: `a=${round} ${CHUNK}` }, { key: 'a' });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(open.bufferedBytes).toBeGreaterThan(0);
    // 300 values of 64 KiB: more than the socket buffers can take even if the kernel grows them
    // meanwhile and the stream drains for a while, so some values must be replaced by newer ones.
    for (let round = 1; round <= 100; round++) {
      for (const key of keys)
        await hub.publish('prices', { data: `${key}=last${round} ${CHUNK}` }, { key });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(open.isClosed).toBe(false);
    client.resume();
    await until(() => client.events.at(-1)?.data === `c=last100 ${CHUNK}`, 'the newest values');
    const tail = client.events.slice(-3).map((event) => event.data.split(' ')[0]);
    expect(tail).toEqual(['a=last100', 'b=last100', 'c=last100']);
    const lastValues = client.events.filter((event) => /^[abc]=last\d+ /.test(event.data));
    expect(lastValues.length).toBeLessThan(300);
    expect(hub.stats().overflows).toBe(0);
    client.abort();
    await hub.close();
  });

  it('write() resolves only after a stalled reader resumes, then true', async () => {
    let waiting: Promise<boolean> | undefined;
    let settled = false;
    server = await factory.start({
      options: { heartbeat: false, highWaterMark: HIGH_WATER_MARK },
      run: async (stream) => {
        waiting = (await writeUntilWaiting(stream)).write;
        waiting?.then(() => {
          settled = true;
        });
      },
    });
    const client = await gatedFetchStream(server.url);
    await until(() => waiting !== undefined, 'a write that waits for the client');
    expect(await settlesWithin(waiting as Promise<boolean>, 200)).toBe(false);
    expect(settled).toBe(false);
    client.resume();
    expect(await waiting).toBe(true);
    await until(() => client.events.at(-1)?.data === 'marker', 'the last event');
    client.abort();
  });

  it('write() resolves false when the client leaves while it waits', async () => {
    let waiting: Promise<boolean> | undefined;
    let stream: TestStream | undefined;
    server = await factory.start({
      options: { heartbeat: false, highWaterMark: HIGH_WATER_MARK },
      run: async (opened) => {
        stream = opened;
        waiting = (await writeUntilWaiting(opened)).write;
      },
    });
    const client = await gatedFetchStream(server.url);
    await until(() => waiting !== undefined, 'a write that waits for the client');
    client.abort();
    expect(await waiting).toBe(false);
    expect(stream?.isClosed).toBe(true);
  });

  it('pipe() delivers 10,000 items in order to a slow reader, never buffering past highWaterMark', async () => {
    const total = 10_000;
    const { state, items } = countedSource(total);
    let mostBuffered = 0;
    let piped: Promise<boolean> | undefined;
    server = await factory.start({
      options: { heartbeat: false, highWaterMark: HIGH_WATER_MARK },
      run: async (stream) => {
        piped = stream.pipe(items(), (n) => {
          mostBuffered = Math.max(mostBuffered, stream.bufferedBytes);
          return { id: String(n), data: `${n} ${PADDING}` };
        });
        if (await piped) stream.close();
      },
    });
    const client = await gatedFetchStream(server.url);
    await until(() => piped !== undefined, 'the pipe to start');
    // Stalled, the reader holds the source back: the pipe pulls only what the buffers take.
    await until(() => state.pulled > 0, 'the first item');
    const pulledWhileStalled = state.pulled;
    client.resume(1);
    expect(await piped).toBe(true);
    await client.ended;
    expect(pulledWhileStalled).toBeLessThan(total);
    expect(mostBuffered).toBeLessThan(HIGH_WATER_MARK);
    expect(client.events).toHaveLength(total);
    expect(client.events.every((event, n) => event.data === `${n} ${PADDING}`)).toBe(true);
    expect(state.released).toBe(true);
  });

  it('pipe() stops and calls return() on its source when the client leaves mid-pipe', async () => {
    const { state, items } = countedSource(Number.MAX_SAFE_INTEGER);
    let piped: Promise<boolean> | undefined;
    server = await factory.start({
      options: { heartbeat: false, highWaterMark: HIGH_WATER_MARK },
      run: (stream) => {
        piped = stream.pipe(items(), (n) => ({ event: 'tick', data: { n } }));
        return piped;
      },
    });
    const client = await gatedFetchStream(server.url);
    client.resume();
    await until(() => client.events.length >= 100, 'a hundred items');
    client.abort();
    expect(await piped).toBe(false);
    expect(state.released).toBe(true);
    const pulled = state.pulled;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(state.pulled).toBe(pulled);
  });
});
