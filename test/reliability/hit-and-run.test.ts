/**
 * Hit-and-run: thousands of clients that leave at random points, on every row of the
 * conformance table (over HTTP/2 too where the row serves it), with a route that awaits a timer before it opens its stream. A third leave
 * around the open (often while the route still awaits), a third on the first bytes of a replay
 * (they resume with a Last-Event-ID), a third in the middle of the hub's bursts. Afterwards the
 * hub's subscribers, the open streams, the heartbeat registry, the process's handles and timers
 * and the heap are back to their baseline.
 */
import { createHub, type Hub, memoryHistory } from '@ssekit/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AppSetup,
  EVENTS_PATH,
  type TestEvents,
  type TestStream,
} from '../conformance/support/scenario.js';
import { type RunningServer, serverFactories } from '../conformance/support/servers.js';
import { hitAndRun, hitAndRunHttp2, type LeavePoint } from './support/clients.js';
import { recordFigures, scaled } from './support/figures.js';
import { grownHandles, MiB, snapshot } from './support/measure.js';
import { until } from './support/wait.js';

const CLIENTS = scaled({ quick: 400, full: 1000, soak: 10_000 });
/** A session per client costs more: HTTP/2 rows run half as many, to bound the suite's time. */
const HTTP2_CLIENTS = CLIENTS / 2;
const BATCH = 250;
const HISTORY = 500;
/** How far back a resuming client starts: its replay runs for a while. */
const REPLAY_DEPTH = 300;
/** One leaked connection costs several KiB: even a few dozen leaking exceed this. */
const HEAP_MARGIN = 2 * MiB;
const payload = 'p'.repeat(512);

function randomInt(below: number): number {
  return Math.floor(Math.random() * below);
}

const rows = serverFactories.flatMap((factory) => [
  { factory, transport: 'HTTP/1.1', setup: {} as AppSetup, clients: CLIENTS },
  ...(factory.supports.http2
    ? [{ factory, transport: 'HTTP/2', setup: { http2: true }, clients: HTTP2_CLIENTS }]
    : []),
]);

for (const { factory, transport, setup, clients } of rows) {
  describe(`hit-and-run on ${factory.name} (${transport})`, () => {
    let server: RunningServer | undefined;
    let hub: Hub<TestEvents> | undefined;
    let publisher: ReturnType<typeof setInterval> | undefined;

    afterEach(async () => {
      clearInterval(publisher);
      await hub?.close();
      await server?.close();
    });

    it(`${clients} clients leave before the open, during replay and mid-burst`, {
      timeout: 180_000,
    }, async () => {
      const wave = createHub<TestEvents>({ history: memoryHistory({ maxEvents: HISTORY }) });
      hub = wave;
      const live = new Set<TestStream>();
      let opened = 0;
      let openedAfterLeaving = 0;
      const running = await factory.start(
        {
          // A cap no departed client reaches within the test: only noticing the departure, never
          // the slow-client policy, may end the stream of a client that is gone.
          options: { heartbeat: 1000, maxBufferedBytes: 64 * MiB },
          // An async route: auth or a database read before the stream opens.
          before: () => new Promise((resolve) => setTimeout(resolve, 5 + randomInt(20))),
          run: (stream) => {
            opened += 1;
            // The client left while the route awaited: the stream must come back closed.
            if (stream.isClosed) openedAfterLeaving += 1;
            live.add(stream);
            void stream.closed.then(() => live.delete(stream));
            wave.subscribe(stream, 'wave');
          },
        },
        setup,
      );
      server = running;
      const ids: string[] = [];
      const publish = async () => {
        ids.push(await wave.publish('wave', { data: payload }));
        if (ids.length > HISTORY) ids.shift();
      };
      for (let i = 0; i < HISTORY; i++) await publish();
      // Bursts of events throughout: the mid-burst clients leave while one is being written.
      publisher = setInterval(() => {
        for (let i = 0; i < 20; i++) void publish();
      }, 10);

      const leavePoint = (client: number): [LeavePoint, Record<string, string>] => {
        if (client % 3 === 0) return [{ after: randomInt(10) }, {}];
        if (client % 3 === 1) {
          return ['first-bytes', { 'last-event-id': ids[ids.length - REPLAY_DEPTH] ?? '' }];
        }
        return [{ after: 50 + randomInt(200) }, {}];
      };
      const runClients = async (count: number) => {
        for (let sent = 0; sent < count; sent += BATCH) {
          const batch: Promise<void>[] = [];
          for (let i = sent; i < Math.min(sent + BATCH, count); i++) {
            const [leave, headers] = leavePoint(i);
            batch.push(
              setup.http2
                ? hitAndRunHttp2(running.origin, EVENTS_PATH, leave, headers)
                : hitAndRun(running.url, leave, headers),
            );
          }
          await Promise.all(batch);
        }
        await until(
          () => live.size === 0 && wave.stats().openStreams === 0 && running.connections() === 0,
          () =>
            `every stream and connection to close (${live.size} streams, ${wave.stats().openStreams} subscribed, ${running.connections()} connections open)`,
          10_000,
        );
      };

      // Warm-up: first use loads and compiles code that is not a leak.
      await runClients(BATCH);
      const before = await snapshot();
      const statsBefore = wave.stats();

      await runClients(clients);
      const after = await snapshot();
      const statsAfter = wave.stats();

      expect(statsAfter.openStreams).toBe(0);
      expect(statsAfter.subscribers).toEqual(statsBefore.subscribers);
      expect(after.heartbeat).toEqual({ streams: 0, timers: 0 });
      expect(grownHandles(before, after)).toEqual({});
      expect(after.heapUsed - before.heapUsed).toBeLessThan(HEAP_MARGIN);
      expect(running.reported).toEqual([]);
      expect(running.frameworkErrors).toEqual([]);
      // The wave did reach every leave point (a fetch runtime answers a departed client itself).
      expect(openedAfterLeaving + statsAfter.replaysServed).toBeGreaterThan(0);

      recordFigures({
        scenario: 'Hit-and-run',
        target: `${factory.name} (${transport})`,
        clients,
        events: statsAfter.eventsPublished - statsBefore.eventsPublished,
        handlesBefore: before.handleCount,
        handlesAfter: after.handleCount,
        memoryBefore: before.heapUsed,
        memoryAfter: after.heapUsed,
        errors: running.reported.length + running.frameworkErrors.length,
        note: `async route (timer before open); ${opened} streams opened, ${openedAfterLeaving} of them after their client had left; clients left around the open, on the first bytes of a ${REPLAY_DEPTH}-event replay, or mid-burst; ${statsAfter.replaysServed - statsBefore.replaysServed} replays completed; hub subscriptions ${JSON.stringify(statsAfter.subscribers)}, heartbeat registry ${after.heartbeat.streams} streams / ${after.heartbeat.timers} timers afterwards`,
      });
    });
  });
}
