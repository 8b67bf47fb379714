/**
 * Slow clients: sockets that stop reading, among clients that read. The server must hold at most
 * maxBufferedBytes per slow client (plus a fixed margin for the process), apply the overflow
 * policy to the slow ones only, and keep the fast ones receiving every event. Delivery is
 * compared by what each client received; no timing is asserted.
 */
import { readFileSync } from 'node:fs';
import { getDefaultHighWaterMark } from 'node:stream';
import { encodeEvent, type OverflowPolicy, type SseStream } from '@ssekit/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  openClient,
  openPausedClient,
  type PausedClient,
  type SseClient,
} from './support/clients.js';
import { recordFigures, scaled } from './support/figures.js';
import { collectForReading, collectGarbage, MiB } from './support/measure.js';
import type { RunningServer } from './support/servers.js';
import { coreTargets } from './support/targets.js';
import { until } from './support/wait.js';

const SLOW = scaled({ quick: 20, soak: 100 });
const FAST = scaled({ quick: 10, soak: 50 });
const EVENT_BYTES = 4096;
/**
 * The fewest events sent. Sending goes on past them until every slow stream has met the policy:
 * how many fill a paused connection is the kernel's choice (see EVENT_LIMIT).
 */
const EVENTS = scaled({ quick: 1200, soak: 3000 });
const BATCH = 50;
const MAX_BUFFERED = 256 * 1024;
/**
 * Batches sent once every slow stream has met the policy: the cap, the memory and the fast
 * clients are then checked while the policy is in force, not only at the moment it applied.
 */
const BATCHES_AFTER_JUDGED = 2;
/**
 * A slow client is judged on the bytes it left unread, not on the turn being queued nor on its
 * credit for bursts, under two turns' worth: a paused socket takes bytes until its kernel buffers
 * fill, so a batch can join the credit while it is still that. One batch per turn, each event
 * with its framing.
 */
const PER_SLOW_STREAM = MAX_BUFFERED + 3 * BATCH * (EVENT_BYTES + 32);
/**
 * What the process may hold beyond the slow clients' caps: the batch in flight to each fast
 * client (the test paces on their receipt), each slow response's own high-water mark (bytes
 * Node accepted and counts as written: 16 KiB on Node 20, 64 KiB from Node 22), and a fixed
 * 24 MiB for everything else (sockets being read, the clients' parsers, GC timing).
 */
const MARGIN = FAST * BATCH * EVENT_BYTES + SLOW * getDefaultHighWaterMark(false) + 24 * MiB;

const payload = 'p'.repeat(EVENT_BYTES);
/** The shortest event sent (its id one digit), so that EVENT_LIMIT never falls short. */
const FRAME_BYTES = encodeEvent({ id: '1', data: payload }).bytes.byteLength;

/**
 * Where sending stops if a slow stream is never judged. A paused client is judged only once its
 * kernel buffers are full, and how much they take is the kernel's choice, not ssekit's: the
 * server's send buffer autotunes with the connection's congestion window, so one connection can
 * take more than its neighbours, and a count of events that filled them all in one run left one
 * unjudged in another. So the scenario sends until every slow stream has met the policy, and
 * this bound is past anything a connection can hold outside the stream: both kernel buffers at
 * their autotuning limits, the client's read buffer, and {@link PER_SLOW_STREAM}.
 */
const EVENT_LIMIT =
  BATCH *
  Math.ceil(
    (kernelBufferLimit() + getDefaultHighWaterMark(false) + PER_SLOW_STREAM) /
      (FRAME_BYTES * BATCH),
  );

for (const target of coreTargets) {
  for (const policy of ['close', 'drop'] as OverflowPolicy[]) {
    describe(`slow clients on ${target.name}, onOverflow '${policy}'`, () => {
      let server: RunningServer | undefined;
      const fastClients: SseClient[] = [];
      const slowClients: PausedClient[] = [];

      afterEach(async () => {
        for (const client of fastClients) client.destroy();
        for (const client of slowClients) client.destroy();
        // The clients keep what they received: let go of it before the next case's baseline.
        fastClients.length = 0;
        slowClients.length = 0;
        await server?.close();
      });

      // A bound on a hang, not a speed: batches of 4 KiB events paced on receipt until every slow
      // stream is judged, a collection per batch.
      it(`${SLOW} paused clients among ${FAST} readers`, { timeout: 60_000 }, async () => {
        const slowStreams = new Set<SseStream>();
        const fastStreams = new Set<SseStream>();
        server = await target.start(
          (stream, url) => {
            const group = url.startsWith('/slow') ? slowStreams : fastStreams;
            group.add(stream);
          },
          { stream: { heartbeat: false, maxBufferedBytes: MAX_BUFFERED, onOverflow: policy } },
        );
        const { port, url } = server;
        for (let i = 0; i < SLOW; i++) slowClients.push(openPausedClient(port, '/slow'));
        for (let i = 0; i < FAST; i++) fastClients.push(openClient(`${url}/fast`));
        await until(
          () => slowStreams.size === SLOW && fastStreams.size === FAST,
          'every client connected',
        );
        const allStreams = [...slowStreams, ...fastStreams];

        await collectGarbage();
        const baseline = process.memoryUsage().arrayBuffers;
        let peakMemory = 0;
        let peakPerSlowStream = 0;

        // On until the streams report every slow client judged, not for a count fixed in advance.
        let sent = 0;
        let batchesAfterJudged = 0;
        while ((sent < EVENTS || batchesAfterJudged < BATCHES_AFTER_JUDGED) && sent < EVENT_LIMIT) {
          if ([...slowStreams].every((stream) => stream.overflows > 0)) batchesAfterJudged += 1;
          for (let i = 0; i < BATCH; i++, sent++) {
            const event = encodeEvent({ id: String(sent + 1), data: payload });
            for (const stream of allStreams) stream.send(event);
          }
          for (const stream of slowStreams) {
            peakPerSlowStream = Math.max(peakPerSlowStream, stream.bufferedBytes);
          }
          // Measured after collections: what the process holds, not garbage awaiting the GC.
          await collectForReading();
          peakMemory = Math.max(peakMemory, process.memoryUsage().arrayBuffers - baseline);
          // Receipt, not timing: every fast client has the whole batch before the next one.
          const last = String(sent);
          await until(
            () => fastClients.every((client) => client.events.at(-1)?.id === last),
            () => `fast clients to receive event ${last}`,
            30_000,
          );
        }
        const slowBytesWhenFastDone = slowClients.reduce(
          (sum, client) => sum + client.received(),
          0,
        );

        // Every fast client got every event, in order, intact.
        for (const client of fastClients) {
          expect(client.events.length).toBe(sent);
          expect(
            client.events.every((event, i) => event.id === String(i + 1) && event.data === payload),
          ).toBe(true);
          expect(client.parseErrors).toEqual([]);
        }
        // The fast streams never met the policy.
        for (const stream of fastStreams) {
          expect(stream.overflows).toBe(0);
          expect(stream.isClosed).toBe(false);
        }
        // The slow ones did, every one of them.
        for (const stream of slowStreams) {
          expect(stream.overflows, `a slow stream never judged in ${sent} events`).toBeGreaterThan(
            0,
          );
          expect(stream.isClosed).toBe(policy === 'close');
        }
        // The cap held per stream, and the process held no more than the caps plus the margin.
        expect(peakPerSlowStream).toBeLessThanOrEqual(PER_SLOW_STREAM);
        expect(peakMemory).toBeLessThan(MAX_BUFFERED * SLOW + MARGIN);
        expect(slowBytesWhenFastDone).toBe(0);

        // A slow client that reads again gets whole events, in order, with gaps ('drop') or up
        // to where its connection was cut ('close').
        for (const client of slowClients) client.resume();
        for (const stream of slowStreams) stream.close();
        await Promise.all(slowClients.map((client) => client.closed));
        let slowEvents = 0;
        for (const client of slowClients) {
          const events = client.events();
          slowEvents += events.length;
          expect(events.length).toBeGreaterThan(0);
          expect(events.length).toBeLessThan(sent);
          const ids = events.map((event) => Number(event.id));
          expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] as number))).toBe(true);
          expect(events.every((event) => event.data === payload)).toBe(true);
          if (policy === 'close') expect(ids).toEqual(ids.map((_, i) => i + 1));
        }

        recordFigures({
          scenario: `Slow clients (${policy})`,
          target: target.name,
          clients: SLOW + FAST,
          events: sent,
          memoryBefore: baseline,
          memoryAfter: baseline + peakMemory,
          errors: 0,
          note: `${SLOW} paused, ${FAST} reading; ${EVENT_BYTES} B events; peak buffered per slow stream ${kib(peakPerSlowStream)} (cap ${kib(MAX_BUFFERED)}); peak extra memory ${kib(peakMemory)} (bound ${kib(MAX_BUFFERED * SLOW + MARGIN)}); fast clients got ${sent}/${sent}; slow clients got ${Math.round(slowEvents / SLOW)} on average after resuming`,
        });
      });
    });
  }
}

const BURST_EVENTS = 512;
const BURST_EVENT_BYTES = 16 * 1024;
const FOLLOW_UP_EVENTS = 200;

for (const target of coreTargets) {
  describe(`a burst on ${target.name}`, () => {
    let server: RunningServer | undefined;
    const clients: SseClient[] = [];

    afterEach(async () => {
      for (const client of clients.splice(0)) client.destroy();
      await server?.close();
    });

    it(`a client reading at full speed gets ${(BURST_EVENTS * BURST_EVENT_BYTES) / MiB} MiB sent in one loop, then more, and is never judged`, async () => {
      const streams: SseStream[] = [];
      const burst = 'b'.repeat(BURST_EVENT_BYTES);
      server = await target.start(
        (stream) => {
          streams.push(stream);
          // The writer ignores backpressure: 32 times the cap in one synchronous loop...
          for (let i = 1; i <= BURST_EVENTS; i++) stream.send({ id: String(i), data: burst });
          // ...then keeps sending, one event a turn, while the client is still reading the burst.
          void (async () => {
            for (let i = 1; i <= FOLLOW_UP_EVENTS && !stream.isClosed; i++) {
              await new Promise((resolve) => setImmediate(resolve));
              stream.send({ id: String(BURST_EVENTS + i), data: `after ${i}` });
            }
          })();
        },
        { stream: { heartbeat: false, maxBufferedBytes: MAX_BUFFERED } },
      );
      const client = openClient(`${server.url}/burst`);
      clients.push(client);
      await client.waitForEvents(BURST_EVENTS + FOLLOW_UP_EVENTS, 60_000);
      const stream = streams[0] as SseStream;
      expect(stream.overflows).toBe(0);
      expect(stream.isClosed).toBe(false);
      expect(client.events.map((event) => Number(event.id))).toEqual(
        Array.from({ length: BURST_EVENTS + FOLLOW_UP_EVENTS }, (_, i) => i + 1),
      );
      expect(client.events.slice(0, BURST_EVENTS).every((event) => event.data === burst)).toBe(
        true,
      );
    });
  });
}

/**
 * The most a loopback connection's kernel can buffer: the send buffer's and the receive buffer's
 * autotuning limits (the third field of Linux's tcp_wmem and tcp_rmem). Where /proc does not tell
 * (not Linux), 64 MiB: a bound on a hang, not a measure.
 */
function kernelBufferLimit(): number {
  const autotuningMax = (name: string) =>
    Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
  try {
    const limit = autotuningMax('tcp_wmem') + autotuningMax('tcp_rmem');
    if (Number.isFinite(limit)) return limit;
  } catch {
    // Not Linux: the fallback below.
  }
  return 64 * MiB;
}

function kib(bytes: number): string {
  return `${Math.round(bytes / 1024)} KiB`;
}
