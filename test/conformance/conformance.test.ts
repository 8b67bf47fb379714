/**
 * One behaviour suite, run on every row of the server-factory table: the core's fetch entry
 * point, node:http, Express 4 and 5, Koa 2 and 3, Fastify 5, h3. Real servers on 127.0.0.1, real
 * clients.
 */

import { getDefaultHighWaterMark } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHub } from '@ssekit/core';
import { heartbeatRegistry } from '@ssekit/core/adapter';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLEANUP_BUDGET_MS, until } from '../support/wait.js';
import { ACCEPT_CASES, NOT_ACCEPTABLE_HINT } from './support/admission.js';
import {
  asHeaderBytes,
  fetchStream,
  http2Stream,
  pausedClient,
  pipelinedRequests,
  plainRequest,
  recordEventSource,
  requestThenLeave,
  resetAfterFirstBytes,
  settlesWithin,
} from './support/clients.js';
import {
  type AppSetup,
  EVENTS_PATH,
  JSON_ANSWER,
  type Scenario,
  type TestEvents,
  type TestStream,
  UNAUTHORIZED,
} from './support/scenario.js';
import { type RunningServer, serverFactories } from './support/servers.js';

const NON_ASCII_ID = 'évènement-✓-42';

describe.each(serverFactories)('$name', (factory) => {
  const transports: Array<{ name: string; setup: AppSetup }> = [
    { name: 'HTTP/1.1', setup: {} },
    ...(factory.supports.http2 ? [{ name: 'HTTP/2', setup: { http2: true } }] : []),
  ];
  let server: RunningServer | undefined;
  const start = async (scenario: Scenario, setup?: AppSetup) => {
    server = await factory.start(scenario, setup);
    return server;
  };
  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.close();
    server = undefined;
  });

  it('answers 200 with the event-stream headers and the events', async () => {
    const { origin } = await start({
      options: { heartbeat: false },
      run: (stream) => {
        stream.send({ data: 'hello' });
        stream.close();
      },
    });
    const response = await request(origin).get(EVENTS_PATH).set('accept', 'text/event-stream');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache, no-transform');
    expect(response.headers['x-accel-buffering']).toBe('no');
    expect(response.text).toBe('data: hello\n\n');
  });

  it('delivers plain and typed events to an EventSource', async () => {
    const { url } = await start({
      options: { heartbeat: false },
      run: (stream) => {
        stream.send({ data: 'hello' });
        stream.send({ event: 'tick', id: '7', data: { n: 1 } });
      },
    });
    const source = recordEventSource(url, ['message', 'tick']);
    try {
      await until(() => source.messages.length === 2, 'two events');
    } finally {
      source.close();
    }
    expect(source.messages).toEqual([
      { type: 'message', data: 'hello', lastEventId: '' },
      { type: 'tick', data: '{"n":1}', lastEventId: '7' },
    ]);
  });

  it('sends heartbeat comments while the source is idle', async () => {
    const { url } = await start({ options: { heartbeat: 40 }, run: () => {} });
    const client = await fetchStream(url);
    await until(() => client.comments.length >= 2, 'two heartbeats');
    client.abort();
    expect(client.events).toEqual([]);
  });

  it('sends the retry delay first', async () => {
    const { url } = await start({
      options: { heartbeat: false, retry: 1234 },
      run: (stream) => stream.send({ data: 'after retry' }),
    });
    const client = await fetchStream(url);
    await until(() => client.events.length === 1, 'one event');
    client.abort();
    expect(client.retries).toEqual([1234]);
    expect(client.events[0]?.data).toBe('after retry');
  });

  it('reads a non-ASCII Last-Event-ID header as the client sent it', async () => {
    const { origin } = await start({
      options: { heartbeat: false },
      run: (stream) => {
        stream.send({ data: stream.lastEventId ?? '(none)' });
        stream.close();
      },
    });
    const response = await request(origin)
      .get(EVENTS_PATH)
      .set('accept', 'text/event-stream')
      .set('last-event-id', asHeaderBytes(NON_ASCII_ID));
    expect(response.text).toBe(`data: ${NON_ASCII_ID}\n\n`);
  });

  it('reads a non-ASCII lastEventId query parameter', async () => {
    const { url } = await start({
      options: { heartbeat: false },
      run: (stream) => stream.send({ data: stream.lastEventId ?? '(none)' }),
    });
    const client = await fetchStream(`${url}?lastEventId=${encodeURIComponent(NON_ASCII_ID)}`);
    await until(() => client.events.length === 1, 'one event');
    client.abort();
    expect(client.events[0]?.data).toBe(NON_ASCII_ID);
  });

  it(`cleans up within ${CLEANUP_BUDGET_MS} ms of a disconnect, with an idle source, silently`, async () => {
    const subscriptions = new Set<TestStream>();
    const { url } = await start({
      options: { heartbeat: 60_000 },
      run: (stream) => {
        subscriptions.add(stream);
        void stream.closed.then(() => subscriptions.delete(stream));
      },
    });
    const stderr = vi.spyOn(console, 'error');
    const before = heartbeatRegistry();
    const client = await fetchStream(url);
    await until(() => subscriptions.size === 1, 'the stream to open');
    const [stream] = subscriptions as Set<TestStream>;
    expect(heartbeatRegistry().streams).toBe(before.streams + 1);

    client.abort();
    expect(await settlesWithin((stream as TestStream).closed, CLEANUP_BUDGET_MS)).toBe(true);
    expect(subscriptions.size).toBe(0);
    expect(heartbeatRegistry()).toEqual(before);
    await sleep(50); // a framework that logs the disconnect does so within a few ticks
    expect(stderr).not.toHaveBeenCalled();
  });

  it('cleans up silently when the client resets its connection', async () => {
    const opened: TestStream[] = [];
    const { url } = await start({
      options: { heartbeat: 60_000 },
      run: (stream) => {
        opened.push(stream);
        stream.comment('open');
      },
    });
    const stderr = vi.spyOn(console, 'error');
    await resetAfterFirstBytes(url);
    await until(() => opened.length === 1, 'the stream to open');
    expect(await settlesWithin((opened[0] as TestStream).closed, 1000)).toBe(true);
    await sleep(50); // a framework that logs the reset does so within a few ticks
    expect(stderr).not.toHaveBeenCalled();
  });

  it.each(transports)(
    'closes at once a stream opened after the client left while the route awaited ($name)',
    async ({ setup }) => {
      const hub = createHub<TestEvents>({ maxConnections: 1 });
      let arrived = 0;
      let openRoute!: () => void;
      const routeAwaits = new Promise<void>((resolve) => {
        openRoute = resolve;
      });
      const opened: TestStream[] = [];
      const running = await start(
        {
          options: { heartbeat: 60_000 },
          before: () => {
            arrived += 1;
            return routeAwaits;
          },
          run: (stream) => {
            opened.push(stream);
            hub.subscribe(stream, 'news');
            stream.send({ data: 'subscribed' });
          },
        },
        setup,
      );
      const before = heartbeatRegistry();
      const client = requestThenLeave(running.origin, EVENTS_PATH, setup.http2);
      await until(() => arrived === 1, 'the route to start awaiting');
      client.leave();
      await until(() => running.connections() === 0, 'the server to see the client leave');

      openRoute();
      await until(() => opened.length === 1, 'the route to open the stream');
      const stream = opened[0] as TestStream;
      expect(await settlesWithin(stream.closed, CLEANUP_BUDGET_MS)).toBe(true);
      expect(hub.stats().openStreams).toBe(0);
      expect(heartbeatRegistry()).toEqual(before);

      // The departed client's slot is free: the hub's one connection goes to the next client.
      const next = setup.http2
        ? await http2Stream(running.origin, EVENTS_PATH)
        : await fetchStream(running.url);
      await until(
        () => next.events.some((event) => event.data === 'subscribed'),
        'the next client to be subscribed',
      );
      expect(hub.stats().connectionsRejected).toBe(0);
      if ('abort' in next) next.abort();
      else next.close();
      await (opened[1] as TestStream).closed;
      await hub.close();
    },
  );

  // A fetch runtime (srvx here) ends its body on the response's 'close', which Node 22 never
  // emits for a response queued behind another: the bare fetch entry cannot see the socket.
  const queuedResponsesLeak =
    !factory.supports.oneStreamPerConnection && process.versions.node.startsWith('22.');
  (queuedResponsesLeak ? it.fails : it)(
    'closes every stream of a pipelining HTTP/1.1 connection with its socket',
    async () => {
      const pipelined = 4;
      const hub = createHub<TestEvents>();
      const opened: TestStream[] = [];
      const running = await start({
        options: { heartbeat: 60_000 },
        run: (stream) => {
          opened.push(stream);
          hub.subscribe(stream, 'news');
        },
      });
      const before = heartbeatRegistry();
      const client = pipelinedRequests(running.url, pipelined);
      // Node hands the route every pipelined request at once; their responses wait in line.
      await until(() => opened.length === pipelined, 'every pipelined request to reach the route');
      if (factory.supports.oneStreamPerConnection) {
        // One connection holds at most one live stream: the ones queued behind it are refused.
        expect(opened.filter((stream) => !stream.isClosed)).toHaveLength(1);
        expect(hub.stats().openStreams).toBe(1);
      }

      client.leave();
      const everyStreamClosed = Promise.all(opened.map((stream) => stream.closed));
      expect(await settlesWithin(everyStreamClosed, CLEANUP_BUDGET_MS)).toBe(true);
      await until(() => running.connections() === 0, 'the connection to close');
      expect(hub.stats().openStreams).toBe(0);
      expect(heartbeatRegistry()).toEqual(before);
      await hub.close();
    },
  );

  it('ends the response on close(), and an EventSource reconnects with Last-Event-ID', async () => {
    const { url } = await start({
      options: { heartbeat: false, retry: 50 },
      run: (stream) => {
        if (stream.lastEventId === undefined) {
          stream.send({ id: '1', data: 'first' });
          stream.close();
        } else {
          stream.send({ data: `resumed after ${stream.lastEventId}` });
        }
      },
    });
    const fetched = await fetchStream(url);
    expect(await settlesWithin(fetched.ended, 5000)).toBe(true);
    expect(fetched.events.map((event) => event.data)).toEqual(['first']);

    const source = recordEventSource(url);
    try {
      await until(() => source.messages.length === 2, 'the event after reconnecting');
    } finally {
      source.close();
    }
    expect(source.messages.map((message) => message.data)).toEqual(['first', 'resumed after 1']);
    expect(source.opens).toBe(2);
    expect(source.errors).toBeGreaterThanOrEqual(1);
  });

  it('ends a stream at maxAge with a spread reconnection delay, and an EventSource resumes from its last id', async () => {
    const { url } = await start({
      options: { heartbeat: false, retry: 40, maxAge: 150 },
      run: (stream) => {
        // Each connection sends the two events after the last one its client saw.
        const last = Number(stream.lastEventId ?? 0);
        stream.send({ id: String(last + 1), data: `event ${last + 1}` });
        stream.send({ id: String(last + 2), data: `event ${last + 2}` });
      },
    });
    const fetched = await fetchStream(url);
    expect(await settlesWithin(fetched.ended, 5000)).toBe(true);
    expect(fetched.events.map((event) => event.id)).toEqual(['1', '2']);
    const [opening, rotation] = fetched.retries;
    expect(opening).toBe(40);
    expect(rotation).toBeGreaterThanOrEqual(20);
    expect(rotation).toBeLessThanOrEqual(60);

    const source = recordEventSource(url);
    try {
      await until(() => source.messages.length >= 6, 'three lifetimes of events');
    } finally {
      source.close();
    }
    expect(source.messages.slice(0, 6).map((message) => message.lastEventId)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
    ]);
    expect(source.opens).toBeGreaterThanOrEqual(3);
  });

  it.each(['close', 'drop'] as const)(
    'bounds the memory of a client that does not read (onOverflow: %s)',
    async (onOverflow) => {
      const maxBufferedBytes = 256 * 1024;
      const chunk = 'x'.repeat(16 * 1024);
      let outcome: { maxBuffered: number; overflows: number; closed: boolean } | undefined;
      const { url } = await start({
        options: { heartbeat: false, highWaterMark: 64 * 1024, maxBufferedBytes, onOverflow },
        // A producer that ignores backpressure: the overflow policy is all that bounds memory.
        run: async (stream) => {
          let maxBuffered = 0;
          for (let i = 0; i < 4000 && !stream.isClosed && stream.overflows < 3; i++) {
            stream.send({ data: chunk });
            maxBuffered = Math.max(maxBuffered, stream.bufferedBytes);
            await new Promise((resolve) => setImmediate(resolve));
          }
          outcome = { maxBuffered, overflows: stream.overflows, closed: stream.isClosed };
        },
      });
      const client = await pausedClient(url);
      await until(() => outcome !== undefined, 'the producer to stop', 15_000);
      client.destroy();
      expect(outcome?.overflows).toBeGreaterThan(0);
      // A client is judged on what it left unread: not on the turn being queued, nor on its
      // credit for bursts, under two turns' worth (one event a turn here). On Node, bytes the
      // response took below its own high-water mark count again once it waits for 'drain'.
      const oneTurn = 'data: \n\n'.length + chunk.length;
      expect(outcome?.maxBuffered).toBeLessThanOrEqual(
        maxBufferedBytes + 3 * oneTurn + getDefaultHighWaterMark(false),
      );
      expect(outcome?.closed).toBe(onOverflow === 'close');
    },
  );

  it("aborts the connection of a client cut off by onOverflow 'close', though it never reads", async () => {
    let cutOff: TestStream | undefined;
    const chunk = 'x'.repeat(16 * 1024);
    const running = await start({
      options: { heartbeat: false, maxBufferedBytes: 256 * 1024, onOverflow: 'close' },
      run: async (stream) => {
        while (!stream.isClosed) {
          stream.send({ data: chunk });
          await new Promise((resolve) => setImmediate(resolve));
        }
        cutOff = stream;
      },
    });
    const client = await pausedClient(running.url);
    try {
      await until(() => cutOff !== undefined, 'the overflow to close the stream', 15_000);
      // Ending the body instead would leave the server waiting to flush to this client forever.
      await until(
        () => running.connections() === 0,
        () => `the server to free the connection (${running.connections()} open)`,
        10_000,
      );
    } finally {
      client.destroy();
    }
  });

  it.runIf(factory.supports.compression)(
    'delivers events at once with compression middleware mounted',
    async () => {
      const opened: TestStream[] = [];
      const { url } = await start(
        {
          // Without no-transform, so that compression middleware that honours it compresses.
          options: { heartbeat: false, headers: { 'cache-control': 'no-cache' } },
          run: (stream) => {
            opened.push(stream);
            stream.send({ data: 'first' });
          },
        },
        { compression: true },
      );
      const client = await fetchStream(url, { 'accept-encoding': 'gzip' });
      await until(() => client.events.length === 1, 'the first event while the stream is open');
      expect(client.events[0]?.data).toBe('first');
      expect(opened[0]?.isClosed).toBe(false);
      client.abort();
    },
  );

  it.runIf(factory.supports.http2)(
    'works over HTTP/2 without hop-by-hop headers and detects the disconnect',
    async () => {
      const opened: TestStream[] = [];
      const { origin } = await start(
        {
          options: { heartbeat: 60_000 },
          run: (stream) => {
            opened.push(stream);
            stream.send({ data: 'over h2' });
          },
        },
        { http2: true },
      );
      const client = await http2Stream(origin, EVENTS_PATH);
      expect(client.status).toBe(200);
      expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(client.headers.connection).toBeUndefined();
      expect(client.headers['transfer-encoding']).toBeUndefined();
      await until(() => client.events.length === 1, 'one event');
      expect(client.events[0]?.data).toBe('over h2');

      client.close();
      const stream = opened[0] as TestStream;
      expect(await settlesWithin(stream.closed, CLEANUP_BUDGET_MS)).toBe(true);
    },
  );

  it('does not hold the response back when the handler awaits a write (h3 #944)', async () => {
    const highWaterMark = 16 * 1024;
    const { url } = await start({
      options: { heartbeat: false, highWaterMark },
      run: async (stream) => {
        await stream.write({ data: 'x'.repeat(2 * highWaterMark) });
        stream.send({ data: 'after the wait' });
      },
    });
    const client = await fetchStream(url);
    await until(() => client.events.length === 2, 'both events');
    client.abort();
    expect(client.events[1]?.data).toBe('after the wait');
  });

  it.each(['rejects', 'throws'] as const)(
    'closes the stream and reports to onError a handler that %s after it opened, never to the framework',
    async (how) => {
      const running = await start({
        options: { heartbeat: false },
        run: (stream) => {
          stream.send({ data: 'before' });
          if (how === 'throws') throw new Error('boom');
          return sleep(20).then(() => {
            throw new Error('boom');
          });
        },
      });
      const client = await fetchStream(running.url);
      expect(await settlesWithin(client.ended, 5000)).toBe(true);
      expect(client.events.map((event) => event.data)).toEqual(['before']);
      expect(running.reported).toEqual([expect.objectContaining({ message: 'boom' })]);
      expect(running.frameworkErrors).toEqual([]);

      const again = await fetchStream(running.url);
      expect(await settlesWithin(again.ended, 5000)).toBe(true);
      expect(again.events.map((event) => event.data)).toEqual(['before']);
    },
  );

  it.each(transports)(
    'settles closed for a route that reads it once the client has left, unopened ($name)',
    async ({ setup }) => {
      let arrived = 0;
      let leave!: () => void;
      const left = new Promise<void>((resolve) => {
        leave = resolve;
      });
      let settled: boolean | undefined;
      const running = await start(
        {
          before: () => {
            arrived += 1;
            return left;
          },
          run: async (stream) => {
            settled = await settlesWithin(stream.closed, 1000);
          },
        },
        setup,
      );
      const client = requestThenLeave(running.origin, EVENTS_PATH, setup.http2);
      await until(() => arrived === 1, 'the route to start awaiting');
      client.leave();
      await until(() => running.connections() === 0, 'the server to see the client leave');
      leave();
      await until(() => settled !== undefined, 'the route to read closed');
      expect(settled).toBe(true);
    },
  );

  it('lets a route that read its stream answer 401 JSON: reading opens nothing', async () => {
    const { origin } = await start({
      guard: true,
      options: { heartbeat: 60_000 },
      run: (stream) => {
        stream.send({ data: 'authorized' });
        stream.close();
      },
    });
    const before = heartbeatRegistry();
    const refused = await request(origin).get(EVENTS_PATH).set('accept', 'text/event-stream');
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(refused.headers['cache-control']).not.toBe('no-cache, no-transform');
    expect(refused.headers['x-accel-buffering']).toBeUndefined();
    expect(refused.body).toEqual(UNAUTHORIZED);
    expect(heartbeatRegistry()).toEqual(before);

    const allowed = await request(origin)
      .get(EVENTS_PATH)
      .set('accept', 'text/event-stream')
      .set('authorization', 'Bearer token');
    expect(allowed.status).toBe(200);
    expect(allowed.text).toBe('data: authorized\n\n');
  });

  it.each(['open()', 'hub.subscribe'] as const)(
    'opens the stream on %s, before any event: status and headers reach the client at once',
    async (how) => {
      const hub = createHub<TestEvents>();
      const { url } = await start({
        options: { heartbeat: false },
        run: async (stream) => {
          // The stream rows hand the route an open stream; the handle rows open it here, and
          // the route stays pending, so nothing else (a write, the route returning) opens it.
          if (how === 'hub.subscribe') hub.subscribe(stream, 'room');
          else if ('open' in stream) stream.open();
          await stream.closed;
        },
      });
      const client = await fetchStream(url);
      expect(client.response.status).toBe(200);
      expect(client.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      if (how === 'hub.subscribe') {
        await until(() => hub.stats().openStreams === 1, 'the stream to subscribe');
        void hub.publish('room', { data: 'live' });
        await until(() => client.events.some((event) => event.data === 'live'), 'the event');
      }
      client.abort();
      await hub.close();
    },
  );

  describe('which requests get a stream', () => {
    /** A scenario that writes one event and closes, recording whether each stream took it. */
    const recording = () => {
      const seen: boolean[] = [];
      const scenario: Scenario = {
        options: { heartbeat: false },
        run: (stream) => {
          // A handle (res.sse) opens at this send, which is false when opening answered 406.
          seen.push(stream.send({ data: 'hello' }));
          stream.close();
        },
      };
      return { scenario, openedStreams: () => seen.filter(Boolean).length };
    };

    it.each(ACCEPT_CASES)('Accept: $accept ($who) gets $answer', async ({ accept, answer }) => {
      const { scenario, openedStreams } = recording();
      const { url } = await start(scenario);
      const before = heartbeatRegistry();
      const headers: Record<string, string> = accept === undefined ? {} : { accept };
      const response = await plainRequest(url, { headers });
      if (answer === 'stream') {
        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        expect(response.body).toBe('data: hello\n\n');
        expect(openedStreams()).toBe(1);
      } else {
        expect(response.status).toBe(406);
        expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(response.body).toMatch(NOT_ACCEPTABLE_HINT);
        expect(openedStreams()).toBe(0);
      }
      expect(heartbeatRegistry()).toEqual(before);
    });

    it('answers HEAD with the event-stream headers and no body, opening no stream', async () => {
      const { scenario, openedStreams } = recording();
      const { url } = await start({ ...scenario, options: { heartbeat: 60_000 } });
      const before = heartbeatRegistry();
      const response = await plainRequest(url, {
        method: 'HEAD',
        headers: { accept: 'text/event-stream' },
      });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache, no-transform');
      expect(response.body).toBe('');
      expect(openedStreams()).toBe(0);
      expect(heartbeatRegistry()).toEqual(before);
    });

    it('leaves no subscriber and no stream behind after many HEAD requests', async () => {
      const hub = createHub<TestEvents>();
      const { url } = await start({
        options: { heartbeat: 60_000 },
        run: (stream) => {
          hub.subscribe(stream, 'room');
        },
      });
      const before = heartbeatRegistry();
      for (let i = 0; i < 50; i++) {
        expect((await plainRequest(url, { method: 'HEAD' })).status).toBe(200);
      }
      expect(hub.stats().openStreams).toBe(0);
      expect(hub.stats().subscribers).toEqual({});
      expect(heartbeatRegistry()).toEqual(before);
      // The same route does count a GET, so the zeros above are not for want of counting.
      const client = await fetchStream(url);
      await until(() => hub.stats().openStreams === 1, 'the GET to subscribe');
      client.abort();
      await until(() => hub.stats().openStreams === 0, 'the GET to leave');
      await hub.close();
    });

    it('lets the route serve clients that refuse SSE something else (acceptsEventStream)', async () => {
      const { scenario, openedStreams } = recording();
      const { url } = await start({ ...scenario, negotiate: true });
      const json = await plainRequest(url, { headers: { accept: 'application/json' } });
      expect(json.status).toBe(200);
      expect(JSON.parse(json.body)).toEqual(JSON_ANSWER);
      expect(openedStreams()).toBe(0);
      const streamed = await plainRequest(url);
      expect(streamed.body).toBe('data: hello\n\n');
    });
  });
});
