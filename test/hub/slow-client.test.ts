import { getDefaultHighWaterMark } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sleep, until } from '../support/wait.js';
import { fetchReader, pausedClient, range, sequence, slowReader } from './support/clients.js';
import { hubTest } from './support/fixture.js';
import type { HubServer } from './support/server.js';

const { readers, paused, serve } = hubTest();

// Above the response's own high-water mark (64 KiB from Node 22 on), so the paused client is
// stuck in ssekit's queue for a while before the policy applies.
const MAX_BUFFERED = 256 * 1024;
// Node counts in `writableLength` the response head and HTTP/1.1 chunk framing it has not yet
// flushed (seen: 152 bytes on Node 24): bytes ssekit never queued, but memory all the same.
const HTTP_FRAMING_ALLOWANCE = 1024;
// A client is judged on what it left unread, not on the turn being queued nor on the largest
// burst it is still reading: the most this test queues in one turn is one bulk event.
const LARGEST_TURN = 17 * 1024;
// Bytes the response accepted below its own high-water mark count as sent until it asks to wait
// for 'drain'; from then on they count again, on top of what ssekit judged.
const RESPONSE_HIGH_WATER_MARK = getDefaultHighWaterMark(false);
const padding = 'x'.repeat(1000);

// The timeouts bound a hang, not a speed: 100 readers take a few megabytes each, paced on receipt.
describe.each([
  ['close', true],
  ['drop', false],
] as const)('one paused client among 100 readers (onOverflow %s)', (policy, closes) => {
  it('the readers get every event while the paused one is bounded by the overflow policy', {
    timeout: 60_000,
  }, async () => {
    const { hub, server } = await serve(
      {},
      {
        stream: { maxBufferedBytes: MAX_BUFFERED, onOverflow: policy, heartbeat: false },
      },
    );
    const slow = pausedClient(`${server.url}?topics=t,bulk`);
    paused.push(slow);
    await slow.response;
    const slowStream = server.streams[0] as HubServer['streams'][0];
    // Fill the kernel's socket buffers (megabytes on loopback) so the client is stuck for real.
    const bulk = 'b'.repeat(16 * 1024);
    for (let i = 0; i < 1000 && slowStream.bufferedBytes === 0; i++) {
      await hub.publish('bulk', { data: bulk });
      await sleep(1);
    }
    expect(slowStream.bufferedBytes).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) readers.push(fetchReader(server.url));
    await until(() => hub.stats().openStreams === 101, '101 streams');

    const total = 600;
    let largestBuffer = 0;
    let readersAheadOfPaused = false;
    for (let seq = 1; seq <= total; seq++) {
      await hub.publish('t', { data: { seq, padding } });
      largestBuffer = Math.max(largestBuffer, slowStream.bufferedBytes);
      // A publisher yields to I/O now and then; a burst above the cap within one tick overflows anyone.
      if (seq % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      // Check often: under the close policy the paused client is cut off within a few dozen events.
      if (seq % 5 === 0) {
        await until(
          () => readers.every((reader) => reader.events.length > seq),
          () => `every reader to have event ${seq}`,
        );
        if (!slowStream.isClosed && slowStream.bufferedBytes > 0) readersAheadOfPaused = true;
      }
    }
    for (const reader of readers) expect(sequence(reader.events.slice(1))).toEqual(range(1, total));
    expect(readersAheadOfPaused).toBe(true);
    expect(largestBuffer).toBeLessThanOrEqual(
      MAX_BUFFERED + 2 * LARGEST_TURN + RESPONSE_HIGH_WATER_MARK + HTTP_FRAMING_ALLOWANCE,
    );
    expect(slowStream.overflows).toBeGreaterThan(0);
    expect(hub.stats().overflows).toBe(slowStream.overflows);
    expect(slowStream.isClosed).toBe(closes);
    expect(hub.stats().openStreams).toBe(closes ? 100 : 101);
  });
});

describe('a burst published in one loop', () => {
  it('reaches every reading client whole, while a paused one is still cut off', {
    timeout: 60_000,
  }, async () => {
    const burstEvents = 768;
    const followUps = 4000;
    const { hub, server } = await serve(
      {},
      { stream: { maxBufferedBytes: MAX_BUFFERED, onOverflow: 'close', heartbeat: false } },
    );
    const slow = pausedClient(server.url);
    paused.push(slow);
    await slow.response;
    for (let i = 0; i < 3; i++) readers.push(fetchReader(server.url));
    await until(() => hub.stats().openStreams === 4, '4 streams');
    const slowStream = server.streams[0] as HubServer['streams'][0];

    // 12 MiB, 48 times the cap, in one synchronous loop: shared bytes, not per-client copies.
    const bulk = 'b'.repeat(16 * 1024);
    const published: Array<Promise<string>> = [];
    for (let seq = 1; seq <= burstEvents; seq++) {
      published.push(hub.publish('t', { data: { seq, bulk } }));
    }
    await Promise.all(published);
    // Then live traffic, a turn at a time, while the readers are still taking the burst.
    let seq = burstEvents;
    while (seq < burstEvents + followUps) {
      seq += 1;
      await hub.publish('t', { data: { seq, bulk: 'x'.repeat(1000) } });
      await new Promise((resolve) => setImmediate(resolve));
      if (slowStream.isClosed && readers.every((reader) => reader.events.length > burstEvents)) {
        break;
      }
    }
    const total = seq;
    await until(
      () => readers.every((reader) => reader.events.length === total + 1),
      () => `every reader to have ${total} events`,
      60_000,
    );
    for (const reader of readers) expect(sequence(reader.events.slice(1))).toEqual(range(1, total));
    for (const stream of server.streams.slice(1)) {
      expect(stream.overflows).toBe(0);
      expect(stream.isClosed).toBe(false);
    }
    expect(slowStream.isClosed).toBe(true);
    expect(hub.stats().overflows).toBe(1);
  });
});

describe("onOverflow 'drop' on a plain topic", () => {
  it('tells a client that caught up what it missed: an events-lost reset before its next event', {
    timeout: 60_000,
  }, async () => {
    const { hub, server } = await serve(
      {},
      { stream: { maxBufferedBytes: 64 * 1024, onOverflow: 'drop', heartbeat: false } },
    );
    const slow = slowReader(`${server.url}?topics=t`);
    paused.push(slow);
    await slow.response;
    const slowStream = server.streams[0] as HubServer['streams'][0];
    const bulk = 'b'.repeat(16 * 1024);
    let seq = 0;
    while (slowStream.overflows === 0 && seq < 2000) {
      seq += 1;
      await hub.publish('t', { data: { seq, bulk } });
      await sleep(1);
    }
    expect(slowStream.overflows).toBeGreaterThan(0);
    const dropped = seq;
    slow.resume();
    await until(() => slowStream.bufferedBytes === 0, 'the slow client to catch up');
    const after = await hub.publish('t', { data: { seq: dropped + 1 } });
    await until(() => slow.events.at(-1)?.id === after, 'the event after the gap');

    const resets = slow.events.filter((event) => event.event === 'ssekit:reset');
    expect(resets.map((event) => event.data)).toEqual(['events-lost']);
    // The reset comes right before the next event, at the last event the stream dropped.
    expect(slow.events.at(-2)).toBe(resets[0]);
    expect(sequence(slow.events).at(-1)).toBe(dropped + 1);
    expect(hub.stats().resetsSent).toBe(1);
    expect(slowStream.isClosed).toBe(false);
  });
});
