/**
 * A client cut off by `onOverflow: 'close'` must not hold its socket: it does not read, so bytes
 * the server would wait to flush to it never leave. The conformance suite pins this on srvx (the
 * fetch entry and h3 rows) and on the Node adapters; here on @hono/node-server and the node
 * bridge, with clients on raw sockets that never read and never close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openPausedClient, type PausedClient } from './support/clients.js';
import type { RunningServer } from './support/servers.js';
import { coreTargets } from './support/targets.js';
import { until } from './support/wait.js';

const PAUSED = 5;
const chunk = 'x'.repeat(16 * 1024);

for (const target of coreTargets) {
  describe(`onOverflow 'close' on ${target.name}`, () => {
    let server: RunningServer | undefined;
    const paused: PausedClient[] = [];

    afterEach(async () => {
      for (const client of paused.splice(0)) client.destroy();
      await server?.close();
    });

    it('frees the socket of each cut-off client while it still does not read', async () => {
      let cutOff = 0;
      const handlerErrors: unknown[] = [];
      server = await target.start(
        async (stream) => {
          // A publisher that ignores backpressure: only the policy bounds what is held.
          while (!stream.isClosed) {
            stream.send({ data: chunk });
            await new Promise((resolve) => setImmediate(resolve));
          }
          cutOff += 1;
        },
        {
          stream: { heartbeat: false, maxBufferedBytes: 256 * 1024, onOverflow: 'close' },
          onError: (error) => handlerErrors.push(error),
        },
      );
      for (let i = 0; i < PAUSED; i++) paused.push(openPausedClient(server.port, `/paused-${i}`));
      await until(
        () => cutOff === PAUSED,
        () => `every stream to overflow (${cutOff})`,
        30_000,
      );
      // Ending the body instead would keep each socket until its client read again: never.
      await until(
        () => server?.openSockets() === 0,
        () => `the server to free every socket (${server?.openSockets()} open)`,
        10_000,
      );
      expect(handlerErrors).toEqual([]);
    });
  });
}
