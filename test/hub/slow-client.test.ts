import { describe, expect, it } from 'vitest';
import { sleep, until } from '../support/wait.js';
import { fetchReader, pausedClient, range, sequence } from './support/clients.js';
import { hubTest } from './support/fixture.js';
import type { HubServer } from './support/server.js';

const { readers, paused, serve } = hubTest();

// Above the response's own high-water mark (64 KiB from Node 22 on), so the paused client is
// stuck in ssekit's queue for a while before the policy applies.
const MAX_BUFFERED = 256 * 1024;
// Node counts in `writableLength` the response head and HTTP/1.1 chunk framing it has not yet
// flushed (seen: 152 bytes on Node 24): bytes ssekit never queued, but memory all the same.
const HTTP_FRAMING_ALLOWANCE = 1024;
const padding = 'x'.repeat(1000);

describe.each([
  ['close', true],
  ['drop', false],
] as const)('one paused client among 100 readers (onOverflow %s)', (policy, closes) => {
  it('the readers get every event while the paused one is bounded by the overflow policy', async () => {
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
    expect(largestBuffer).toBeLessThanOrEqual(MAX_BUFFERED + HTTP_FRAMING_ALLOWANCE);
    expect(slowStream.overflows).toBeGreaterThan(0);
    expect(hub.stats().overflows).toBe(slowStream.overflows);
    expect(slowStream.isClosed).toBe(closes);
    expect(hub.stats().openStreams).toBe(closes ? 100 : 101);
  });
});
