import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEANUP_BUDGET_MS } from '../../../../test/support/wait.js';
import { heartbeatRegistry } from '../heartbeat.js';
import type { SseStream } from '../sse-stream.js';
import { openSseStream } from './index.js';

type Handler = (stream: SseStream, req: http.IncomingMessage) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler, options: Parameters<typeof openSseStream>[2] = {}) {
  const streams: SseStream[] = [];
  const server = http.createServer((req, res) => {
    const stream = openSseStream(req, res, { heartbeat: false, ...options });
    streams.push(stream);
    handler(stream, req);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  return { url, streams };
}

function waitFor<T>(check: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      const value = check();
      if (value !== undefined && value !== false) resolve(value);
      else if (Date.now() > deadline) reject(new Error('timed out waiting for condition'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

describe('openSseStream over a real node:http server', () => {
  it('sends status 200 and the headers at once, before any event', async () => {
    const { url } = await serve(() => {});
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    await response.body?.cancel();
  });

  it('the eventsource client receives events and reconnects with Last-Event-ID', async () => {
    const seenIds: Array<string | undefined> = [];
    const { url } = await serve(
      (stream) => {
        seenIds.push(stream.lastEventId);
        const next = Number(stream.lastEventId ?? 0) + 1;
        stream.send({ id: String(next), event: 'count', data: { n: next } });
        stream.close();
      },
      { retry: 10 },
    );
    const client = new EventSource(url);
    const received: number[] = [];
    client.addEventListener('count', (event) => received.push(JSON.parse(event.data).n));
    await waitFor(() => received.length >= 3);
    client.close();
    expect(received.slice(0, 3)).toEqual([1, 2, 3]);
    expect(seenIds.slice(0, 3)).toEqual([undefined, '1', '2']);
  });

  it('re-decodes a non-ASCII Last-Event-ID that Node hands over as latin1', async () => {
    const seen: Array<string | undefined> = [];
    const { url } = await serve((stream) => {
      seen.push(stream.lastEventId);
      stream.close();
    });
    // On the wire a browser sends the UTF-8 bytes; fetch takes them as a latin1 string.
    const utf8AsLatin1 = Buffer.from('ünïcødé-✓').toString('latin1');
    await (await fetch(url, { headers: { 'last-event-id': utf8AsLatin1 } })).text();
    await (await fetch(`${url}?lastEventId=${encodeURIComponent('q-é')}`)).text();
    expect(seen).toEqual(['ünïcødé-✓', 'q-é']);
  });

  it(`cleans up within ${CLEANUP_BUDGET_MS} ms of the client leaving while the source is idle`, async () => {
    const { url, streams } = await serve(() => {}, { heartbeat: 60_000 });
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(heartbeatRegistry().streams).toBe(1);
    controller.abort();
    const stream = await waitFor(() => streams[0]);
    const closedAt = await Promise.race([
      stream.closed.then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('late'), CLEANUP_BUDGET_MS)),
    ]);
    expect(closedAt).toBe('closed');
    expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
  });

  it('cleans up when the socket fails', async () => {
    let socketOf: http.IncomingMessage['socket'] | undefined;
    const { url, streams } = await serve(
      (_stream, req) => {
        socketOf = req.socket;
      },
      { heartbeat: 60_000 },
    );
    const response = await fetch(url);
    const reading = response.body
      ?.getReader()
      .read()
      .catch((error: unknown) => error);
    const socket = await waitFor(() => socketOf);
    socket.destroy(new Error('simulated write failure'));
    await streams[0]?.closed;
    expect(streams[0]?.isClosed).toBe(true);
    expect(heartbeatRegistry().streams).toBe(0);
    await reading;
  });

  it('respects backpressure: a paused client is cut off once it owes maxBufferedBytes', async () => {
    const maxBufferedBytes = 256 * 1024;
    // What a client is never judged on: the turn being queued and the largest unread burst.
    const eventsPerTurn = 50;
    const eventBytes = 'data: \n\n'.length + 1000;
    let maxSeen = 0;
    const { url, streams } = await serve(
      async (stream) => {
        const payload = 'p'.repeat(1000);
        for (let i = 0; i < 10_000 && !stream.isClosed; i++) {
          stream.send({ data: payload });
          maxSeen = Math.max(maxSeen, stream.bufferedBytes);
          if (i % eventsPerTurn === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      },
      { maxBufferedBytes, highWaterMark: 16 * 1024 },
    );
    const response = await fetch(url);
    const reader = response.body?.getReader();
    await reader?.read();
    const stream = await waitFor(() => streams[0]);
    await stream.closed;
    expect(stream.overflows).toBe(1);
    expect(maxSeen).toBeLessThanOrEqual(maxBufferedBytes + 2 * eventsPerTurn * eventBytes);
    await reader?.cancel().catch(() => {});
  });

  it('a writer that awaits write() delivers every event in order to a fetch reader', async () => {
    const total = 2000;
    const { url } = await serve(
      async (stream) => {
        for (let i = 0; i < total; i++) {
          await stream.write({ id: String(i), data: `token-${i}` });
        }
        stream.close();
      },
      { highWaterMark: 4096 },
    );
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => events.push(event) });
    const response = await fetch(url);
    const decoder = new TextDecoder();
    for await (const chunk of response.body ?? []) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    }
    expect(events).toHaveLength(total);
    expect(events.every((event, i) => event.data === `token-${i}` && event.id === String(i))).toBe(
      true,
    );
  });

  it('waits for drain when the socket is full, resumes, and leaves no drain listener', async () => {
    const total = 400;
    const payload = 'p'.repeat(64 * 1024);
    let response: http.ServerResponse | undefined;
    let sawSocketFull = false;
    const server = http.createServer(async (req, res) => {
      response = res;
      const stream = openSseStream(req, res, { heartbeat: false, highWaterMark: 64 * 1024 });
      for (let i = 0; i < total; i++) {
        const written = stream.write({ id: String(i), data: payload });
        // The queued bytes are written on the next turn; then a full socket means waiting.
        await new Promise((resolve) => setImmediate(resolve));
        sawSocketFull ||= res.listenerCount('drain') > 0;
        await written;
      }
      stream.close();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    const ids: string[] = [];
    const parser = createParser({ onEvent: (event) => ids.push(event.id ?? '') });
    const reader = (await fetch(url)).body?.getReader();
    const decoder = new TextDecoder();
    const first = await reader?.read();
    parser.feed(decoder.decode(first?.value, { stream: true }));
    // A client that stops reading fills the socket; the writer must wait, then resume. The client
    // reads again once the writer waits (or after 10 s: a writer that never waits fails below).
    // A fixed 200 ms pause was not enough on a busy machine: the writer, starved of turns, had
    // not yet written past what the socket's buffers take, and found the socket never full.
    await waitFor(() => sawSocketFull, 10_000).catch(() => {});
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
      parser.feed(decoder.decode(chunk.value, { stream: true }));
    }
    expect(sawSocketFull).toBe(true);
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => String(i)));
    expect(response?.listenerCount('drain')).toBe(0);
  });
});
