/**
 * Closing a stream whose client has stopped reading. What is left cannot be written, so a plain
 * `end()` would keep the connection (and the bytes behind it) open for as long as the client
 * likes, and a graceful shutdown (`hub.close()`, then `server.close()`) would never finish.
 * On the Node bridge such a client is cut off once it has taken nothing for one heartbeat
 * interval after `close()`; clients that read are not affected.
 */
import { createHub, type SseStream } from '@ssekit/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  openClient,
  openPausedClient,
  type PausedClient,
  type SseClient,
} from './support/clients.js';
import { recordFigures } from './support/figures.js';
import type { RunningServer } from './support/servers.js';
import { adapterTargets, nodeBridge, type Target } from './support/targets.js';
import { until } from './support/wait.js';

const HEARTBEAT_MS = 500;
const STALLED = 5;
const READING = 20;
/** Enough to fill a paused socket's kernel buffers (about 2 MiB on loopback) and then some. */
const FILL_BYTES = 4 * 1024 * 1024;

/** The events a reader got from `hub.publish` (the hub's own signals are named). */
const fills = (client: SseClient) => client.events.filter((event) => event.event === undefined);

/** The targets whose bytes go through `@ssekit/core/node` (the fetch path's socket belongs to the runtime). */
const nodeTargets: Target[] = [
  nodeBridge,
  ...adapterTargets.filter((target) => !target.name.startsWith('h3')),
];

for (const target of nodeTargets) {
  describe(`close() with clients that stopped reading on ${target.name}`, () => {
    let server: RunningServer | undefined;
    const paused: PausedClient[] = [];
    const reading: SseClient[] = [];

    afterEach(async () => {
      for (const client of paused) client.destroy();
      for (const client of reading) client.destroy();
      paused.length = 0;
      reading.length = 0;
      await server?.close();
    });

    it('hub.close() then server.close() completes, and the reading clients get everything', {
      timeout: 60_000,
    }, async () => {
      const hub = createHub();
      const streams = new Map<string, SseStream>();
      server = await target.start(
        (stream, url) => {
          streams.set(url, stream);
          hub.subscribe(stream, 'fill');
        },
        { stream: { heartbeat: HEARTBEAT_MS } },
      );
      const { port, url } = server;
      for (let i = 0; i < STALLED; i++) paused.push(openPausedClient(port, `/stalled-${i}`));
      for (let i = 0; i < READING; i++) reading.push(openClient(`${url}/reading-${i}`));
      await until(() => streams.size === STALLED + READING, 'every client connected');

      // Fill the stalled clients' sockets, pacing on the readers so none of them overflows.
      const chunk = 'f'.repeat(16 * 1024);
      let published = 0;
      for (let sent = 0; sent < FILL_BYTES; sent += chunk.length) {
        await hub.publish('fill', { data: chunk });
        published += 1;
        const expected = published;
        // Paced on counts: comparing every 16 KiB event again on each poll made the pacing
        // quadratic (most of this test's time); their content is checked once, below.
        await until(
          () => reading.every((client) => fills(client).length === expected),
          'the readers to keep up',
        );
      }
      for (const client of reading) {
        expect(fills(client).every((event) => event.data === chunk)).toBe(true);
      }
      const stalledStreams = [...streams]
        .filter(([path]) => path.startsWith('/stalled'))
        .map(([, stream]) => stream);
      // Each stalled stream is still open, its bytes stuck behind a client that does not read.
      expect(stalledStreams.every((stream) => !stream.isClosed)).toBe(true);

      const serverClosed = new Promise<void>((resolve) => server?.server.close(() => resolve()));
      await hub.close({ retry: 2000 });
      for (const client of reading) await client.ended;
      for (const client of reading) expect(client.retries).toEqual([2000]);
      await until(
        () => server?.openSockets() === 0,
        () => `every connection to end (${server?.openSockets()} open)`,
        20 * HEARTBEAT_MS,
      );
      // The server is fully closed (a paused client itself notices nothing until it reads again).
      await serverClosed;

      recordFigures({
        scenario: 'Close with stalled clients',
        target: target.name,
        clients: STALLED + READING,
        events: published,
        errors: 0,
        note: `${STALLED} clients stopped reading with ${FILL_BYTES / 2 ** 20} MiB sent; after hub.close() every connection ended (stalled ones cut off after the ${HEARTBEAT_MS} ms heartbeat interval); ${READING}/${READING} readers got every event and the retry hint`,
      });
    });
  });
}
