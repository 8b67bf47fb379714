/**
 * Disconnect storm: thousands of clients drop at once while a broadcast is under way. Nothing
 * may throw or reject unhandled, the server must notice every departure, and the clients that
 * stay must receive every event.
 */
import { encodeEvent, type SseStream } from '@ssekit/core';
import { heartbeatRegistry } from '@ssekit/core/adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { openClient, type SseClient } from './support/clients.js';
import { recordFigures, scaled } from './support/figures.js';
import { snapshot } from './support/measure.js';
import type { RunningServer } from './support/servers.js';
import { coreTargets } from './support/targets.js';
import { until } from './support/wait.js';

const DROPPING = scaled({ quick: 800, full: 2000, soak: 2000 });
const STAYING = scaled({ quick: 100, soak: 500 });
const EVENTS = scaled({ quick: 200, soak: 1000 });
const CONNECT_BATCH = 250;

for (const target of coreTargets) {
  describe(`disconnect storm on ${target.name}`, () => {
    let server: RunningServer | undefined;
    const clients: SseClient[] = [];
    const failures: unknown[] = [];
    const onFailure = (error: unknown) => failures.push(error);

    afterEach(async () => {
      process.off('uncaughtException', onFailure);
      process.off('unhandledRejection', onFailure);
      for (const client of clients) client.destroy();
      await server?.close();
    });

    it(`${DROPPING} clients drop at once mid-broadcast; ${STAYING} stay and get all ${EVENTS} events`, async () => {
      process.on('uncaughtException', onFailure);
      process.on('unhandledRejection', onFailure);
      const handlerErrors: unknown[] = [];
      const live = new Set<SseStream>();
      server = await target.start(
        (stream) => {
          live.add(stream);
          stream.closed.then(() => live.delete(stream));
        },
        { stream: { heartbeat: 5000 }, onError: (error) => handlerErrors.push(error) },
      );
      const before = await snapshot();
      const url = `${server.url}/`;
      const dropping: SseClient[] = [];
      const staying: SseClient[] = [];
      // Connect in batches: the listen backlog is finite, and this is a storm test, not a SYN flood.
      for (let opened = 0; opened < DROPPING + STAYING; ) {
        const target = Math.min(opened + CONNECT_BATCH, DROPPING + STAYING);
        for (; opened < target; opened++) {
          const client = openClient(url);
          clients.push(client);
          (opened < DROPPING ? dropping : staying).push(client);
        }
        await until(
          () => live.size === opened,
          () => `${opened} streams (have ${live.size})`,
          30_000,
        );
      }
      expect(heartbeatRegistry().streams).toBe(before.heartbeat.streams + DROPPING + STAYING);

      let sent = 0;
      const broadcast = () => {
        sent += 1;
        const event = encodeEvent({ id: String(sent), data: `event ${sent}` });
        for (const stream of live) stream.send(event);
      };
      // First half, one event per turn of the loop so that departures interleave with sends.
      while (sent < EVENTS / 2) {
        broadcast();
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (const client of dropping) client.destroy();
      while (sent < EVENTS) {
        broadcast();
        await new Promise((resolve) => setImmediate(resolve));
      }

      await until(
        () => live.size === STAYING,
        () => `the server to see ${DROPPING} departures (${live.size} left)`,
        30_000,
      );
      const lastId = String(EVENTS);
      await until(
        () => staying.every((client) => client.events.at(-1)?.id === lastId),
        'every staying client to get the last event',
        30_000,
      );
      for (const client of staying) {
        expect(client.events.map((event) => event.id)).toEqual(
          Array.from({ length: EVENTS }, (_, i) => String(i + 1)),
        );
        expect(client.parseErrors).toEqual([]);
        expect(client.isEnded()).toBe(false);
      }
      expect(heartbeatRegistry().streams).toBe(before.heartbeat.streams + STAYING);

      for (const stream of live) stream.close();
      await Promise.all(staying.map((client) => client.ended));
      await until(() => server?.openSockets() === 0, 'every server socket to close', 30_000);
      // The test's own clients hold every event they parsed: let go of them before measuring.
      for (const list of [clients, dropping, staying]) list.length = 0;
      const after = await snapshot();
      expect(after.heartbeat).toEqual(before.heartbeat);
      expect(failures).toEqual([]);
      expect(handlerErrors).toEqual([]);

      recordFigures({
        scenario: 'Disconnect storm',
        target: target.name,
        clients: DROPPING + STAYING,
        events: EVENTS,
        handlesBefore: before.handleCount,
        handlesAfter: after.handleCount,
        memoryBefore: before.heapUsed,
        memoryAfter: after.heapUsed,
        errors: failures.length + handlerErrors.length,
        note: `${DROPPING} dropped at event ${EVENTS / 2}; ${STAYING} stayed and got ${EVENTS}/${EVENTS} each; heartbeat registry back to ${after.heartbeat.streams} streams`,
      });
      // Up to 2,100 connections opened and torn down (the full scale): a bound on a hang, not a
      // speed (it waits on sockets, and takes most of 20 s on two busy cores).
    }, 60_000);
  });
}
