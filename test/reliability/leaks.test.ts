/**
 * Leaks: clients connect and disconnect in waves while the hub publishes, on every server path.
 * Afterwards the process's active handles, the hub's subscriptions, the heartbeat registry and
 * the heap (after a full collection) are back to their baseline. Departures are mixed: the client
 * drops the connection, or the server closes the stream; a third of the clients reconnect with a
 * Last-Event-ID, so the replay path is exercised too.
 */
import { createHub, memoryHistory, type SseStream } from '@ssekit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { churnWave } from './support/clients.js';
import { recordFigures, scaled } from './support/figures.js';
import { grownHandles, MiB, snapshot } from './support/measure.js';
import type { RunningServer } from './support/servers.js';
import { allTargets } from './support/targets.js';
import { until } from './support/wait.js';

const WAVES = scaled({ quick: 3, soak: 10 });
const PER_WAVE = scaled({ quick: 100, full: 150, soak: 500 });
const HISTORY = 100;
/**
 * Heap growth allowed after a full collection. One leaked connection (socket, request, response,
 * stream, subscription) costs several KiB, so even a fraction of the clients leaking exceeds it.
 */
const HEAP_MARGIN = 2 * MiB;

for (const target of allTargets) {
  describe(`leaks on ${target.name}`, () => {
    let server: RunningServer | undefined;
    let publisher: ReturnType<typeof setInterval> | undefined;

    afterEach(async () => {
      clearInterval(publisher);
      await server?.close();
    });

    it(`${WAVES} waves of ${PER_WAVE} clients leave nothing behind`, {
      timeout: 120_000,
    }, async () => {
      const hub = createHub({ history: memoryHistory({ maxEvents: HISTORY }) });
      const live = new Map<string, SseStream>();
      const handlerErrors: unknown[] = [];
      server = await target.start(
        (stream, path) => {
          live.set(path, stream);
          stream.closed.then(() => live.delete(path));
          hub.subscribe(stream, 'ticks');
        },
        { stream: { heartbeat: 2000 }, onError: (error) => handlerErrors.push(error) },
      );
      let lastId = '';
      const publish = async () => {
        lastId = await hub.publish('ticks', { data: { at: lastId } });
      };
      // Fill the history so its ring buffer is at its steady size before the baseline.
      for (let i = 0; i < HISTORY; i++) await publish();

      const runWave = async (size: number) => {
        await churnWave({
          origin: server?.url ?? '',
          count: size,
          pathOf: (client) => `/events?client=${client}`,
          lastId,
          live,
          firstEventTimeoutMs: 30_000,
        });
        await until(
          () => live.size === 0,
          () => `every stream to close (${live.size} open)`,
          30_000,
        );
        await until(
          () => server?.openSockets() === 0,
          () => `every socket to close (${server?.openSockets()} open)`,
          30_000,
        );
      };

      // The hub publishes throughout; its timer is in both snapshots.
      publisher = setInterval(() => void publish(), 2);
      // Warm-up: first use loads and compiles code that is not a leak.
      await runWave(PER_WAVE);
      const before = await snapshot();
      const statsBefore = hub.stats();

      for (let wave = 0; wave < WAVES; wave++) await runWave(PER_WAVE);
      const after = await snapshot();
      const statsAfter = hub.stats();

      expect(grownHandles(before, after)).toEqual({});
      expect(after.heartbeat).toEqual(before.heartbeat);
      expect(after.heartbeat).toEqual({ streams: 0, timers: 0 });
      expect(statsAfter.openStreams).toBe(0);
      expect(statsAfter.subscribers).toEqual(statsBefore.subscribers);
      expect(after.heapUsed - before.heapUsed).toBeLessThan(HEAP_MARGIN);
      expect(handlerErrors).toEqual([]);
      clearInterval(publisher);
      await hub.close();

      recordFigures({
        scenario: 'Leaks (waves)',
        target: target.name,
        clients: WAVES * PER_WAVE,
        events: statsAfter.eventsPublished - statsBefore.eventsPublished,
        handlesBefore: before.handleCount,
        handlesAfter: after.handleCount,
        memoryBefore: before.heapUsed,
        memoryAfter: after.heapUsed,
        errors: handlerErrors.length,
        note: `${WAVES} waves of ${PER_WAVE}; hub subscriptions ${JSON.stringify(statsBefore.subscribers)} → ${JSON.stringify(statsAfter.subscribers)}, open streams ${statsAfter.openStreams}; heartbeat registry ${after.heartbeat.streams} streams / ${after.heartbeat.timers} timers; ${statsAfter.replaysServed - statsBefore.replaysServed} replays served`,
      });
    });
  });
}
