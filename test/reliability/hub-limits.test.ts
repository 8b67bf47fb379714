/**
 * Connection limits and hub misuse. Past `maxConnections` a new client gets the `busyRetry` hint
 * and its stream ends, while the clients already in are untouched; hostile or late calls on the
 * hub (publish after close, subscribe with a closed stream, injected event names, data that cannot
 * be serialized) fail clearly or are ignored, never breaking the streams of others.
 */
import { CURSOR_EVENT, createHub, type Hub, type SseStream } from '@ssekit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openClient, type SseClient } from './support/clients.js';
import { recordFigures, scaled } from './support/figures.js';
import type { RunningServer } from './support/servers.js';
import { allTargets } from './support/targets.js';
import { until } from './support/wait.js';

const LIMIT = scaled({ quick: 50, soak: 500 });
const EXTRA = scaled({ quick: 20, soak: 200 });
const BUSY_RETRY = 7000;

/** The events a client got, without the hub's position markers. */
const published = (client: SseClient) =>
  client.events.filter((event) => event.event !== CURSOR_EVENT);

for (const target of allTargets) {
  describe(`hub limits on ${target.name}`, () => {
    let server: RunningServer | undefined;
    let hub: Hub | undefined;
    const clients: SseClient[] = [];

    afterEach(async () => {
      for (const client of clients) client.destroy();
      clients.length = 0;
      await hub?.close();
      await server?.close();
    });

    it(`turns away clients past maxConnections (${LIMIT}) and leaves the others untouched`, async () => {
      const activeHub = createHub({ maxConnections: LIMIT, busyRetry: BUSY_RETRY });
      hub = activeHub;
      const opened = new Set<SseStream>();
      server = await target.start((stream) => {
        opened.add(stream);
        activeHub.subscribe(stream, 'news');
      });
      const url = `${server.url}/news`;
      const admitted: SseClient[] = [];
      for (let i = 0; i < LIMIT; i++) admitted.push(openClient(url));
      clients.push(...admitted);
      await until(
        () => activeHub.stats().openStreams === LIMIT,
        'every admitted client subscribed',
      );
      await activeHub.publish('news', { data: 'first' });
      await until(
        () => admitted.every((client) => published(client).length === 1),
        'the first event everywhere',
      );

      const turnedAway: SseClient[] = [];
      for (let i = 0; i < EXTRA; i++) turnedAway.push(openClient(url));
      clients.push(...turnedAway);
      await Promise.all(turnedAway.map((client) => client.ended));
      for (const client of turnedAway) {
        expect(await client.status).toBe(200);
        expect(client.retries).toEqual([BUSY_RETRY]);
        expect(client.events).toEqual([]);
      }
      expect(activeHub.stats()).toMatchObject({ openStreams: LIMIT, connectionsRejected: EXTRA });

      // The admitted clients noticed nothing: still open, and they get what comes next.
      await activeHub.publish('news', { data: 'second' });
      await until(
        () => admitted.every((client) => published(client).length === 2),
        'the second event everywhere',
      );
      for (const client of admitted) {
        expect(client.isEnded()).toBe(false);
        expect(published(client).map((event) => event.data)).toEqual(['first', 'second']);
        expect(client.retries).toEqual([]);
      }

      // A slot freed by a departure is given to the next client.
      admitted[0]?.destroy();
      await until(
        () => activeHub.stats().openStreams === LIMIT - 1,
        'the departure to free a slot',
      );
      const late = openClient(url);
      clients.push(late);
      await until(() => activeHub.stats().openStreams === LIMIT, 'the late client to be admitted');
      await activeHub.publish('news', { data: 'third' });
      await until(() => published(late).length === 1, 'the third event at the late client');
      expect(published(late).map((event) => event.data)).toEqual(['third']);
      expect(late.retries).toEqual([]);

      recordFigures({
        scenario: 'Connection limits',
        target: target.name,
        clients: LIMIT + EXTRA + 1,
        events: 3,
        errors: 0,
        note: `maxConnections ${LIMIT}: ${EXTRA}/${EXTRA} extra clients got retry ${BUSY_RETRY} and an ended stream; ${LIMIT - 1}/${LIMIT - 1} admitted clients kept streaming; a freed slot was reused`,
      });
    });

    it('refuses hostile publishes and late calls without disturbing subscribers', async () => {
      const activeHub = createHub();
      hub = activeHub;
      const errors: unknown[] = [];
      const streams: SseStream[] = [];
      server = await target.start(
        (stream) => {
          streams.push(stream);
          activeHub.subscribe(stream, 'news');
        },
        { onError: (error) => errors.push(error) },
      );
      const reader = openClient(`${server.url}/news`);
      clients.push(reader);
      await until(() => activeHub.stats().openStreams === 1, 'the reader to subscribe');

      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(() => activeHub.publish('news', { event: 'x\ndata: injected', data: 'a' })).toThrow(
        /"event"/,
      );
      expect(() => activeHub.publish('news', { data: cyclic })).toThrow(TypeError);
      expect(() => activeHub.publish('news', { data: 1n })).toThrow(TypeError);
      expect(() => activeHub.publish('', { data: 'a' })).toThrow(/topic/);
      expect(() => activeHub.publish('news', { data: 'a', id: '1\n' } as never)).toThrow(
        /only "event" and "data"/,
      );
      await activeHub.publish('news', { event: 'ok', data: 'after the refusals' });
      await until(() => published(reader).length === 1, 'the event at the reader');
      expect(published(reader)).toEqual([
        { event: 'ok', id: expect.any(String), data: 'after the refusals' },
      ]);

      // A stream that closed before subscribing is ignored: no subscription, no error.
      const gone = openClient(`${server.url}/gone`);
      clients.push(gone);
      await until(() => activeHub.stats().openStreams === 2, 'the second subscriber');
      const goneStream = streams[1] as SseStream;
      gone.destroy();
      await goneStream.closed;
      await until(() => activeHub.stats().openStreams === 1, 'the departure to unsubscribe');
      const unsubscribe = activeHub.subscribe(goneStream, 'news');
      unsubscribe();
      expect(activeHub.stats().openStreams).toBe(1);

      // After close: the reader got the hint-less end, publish rejects, subscribe turns away.
      await activeHub.close();
      await reader.ended;
      await expect(activeHub.publish('news', { data: 'late' })).rejects.toThrow(/closed/);
      const afterClose = openClient(`${server.url}/news`);
      clients.push(afterClose);
      await afterClose.ended;
      expect(afterClose.retries.length).toBe(1);
      expect(afterClose.events).toEqual([]);
      expect(activeHub.stats().openStreams).toBe(0);
      expect(errors).toEqual([]);
    });
  });
}
