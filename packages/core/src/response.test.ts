import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { toNodeHandler } from 'srvx/node';
import { afterEach, describe, expect, it } from 'vitest';
import { heartbeatRegistry } from './heartbeat.js';
import { createSseResponse } from './response.js';
import type { SseStream } from './sse-stream.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('createSseResponse', () => {
  it('returns the Response at once while the handler keeps writing', async () => {
    let release!: () => void;
    const response = createSseResponse(
      new Request('http://localhost/events'),
      async (stream) => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        stream.send({ data: 'later' });
        stream.close();
      },
      { heartbeat: false },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    release();
    expect(await response.text()).toBe('data: later\n\n');
  });

  it('does not hang when the handler awaits a write before returning', async () => {
    const response = createSseResponse(
      new Request('http://localhost/'),
      async (stream) => {
        for (let i = 0; i < 100; i++) {
          await stream.write({ data: 'x'.repeat(100) });
        }
        stream.close();
      },
      { highWaterMark: 256, heartbeat: false },
    );
    expect((await response.text()).match(/\n\n/g)).toHaveLength(100);
  });

  it('reads Last-Event-ID from the header, else from the lastEventId query parameter', () => {
    const seen: Array<string | undefined> = [];
    const record = (stream: SseStream) => {
      seen.push(stream.lastEventId);
      stream.close();
    };
    createSseResponse(
      new Request('http://localhost/?lastEventId=q', { headers: { 'last-event-id': 'h' } }),
      record,
    );
    createSseResponse(new Request('http://localhost/?lastEventId=q'), record);
    createSseResponse(new Request('http://localhost/'), record);
    expect(seen).toEqual(['h', 'q', undefined]);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('sync failure');
      },
    ],
    [
      'rejects',
      async () => {
        throw new Error('async failure');
      },
    ],
  ])('a handler that %s closes the stream and reports the error', async (_how, handler) => {
    const errors: unknown[] = [];
    const response = createSseResponse(new Request('http://localhost/'), handler, {
      onError: (error) => errors.push(error),
    });
    expect(await response.text()).toBe('');
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/failure/);
    expect(heartbeatRegistry().streams).toBe(0);
  });

  it('closes when the request signal aborts', async () => {
    const controller = new AbortController();
    let opened: SseStream | undefined;
    createSseResponse(new Request('http://localhost/', { signal: controller.signal }), (stream) => {
      opened = stream;
    });
    controller.abort();
    await opened?.closed;
    expect(opened?.isClosed).toBe(true);
    expect(heartbeatRegistry().streams).toBe(0);
  });

  it('serves the eventsource client over a real socket, reconnecting with Last-Event-ID', async () => {
    const seen: Array<string | undefined> = [];
    const server = http.createServer(
      toNodeHandler((request: Request) =>
        createSseResponse(
          request,
          (stream) => {
            seen.push(stream.lastEventId);
            stream.send({ id: `id-${seen.length}`, data: String(seen.length) });
            stream.close();
          },
          { retry: 10 },
        ),
      ) as http.RequestListener,
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new EventSource(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const data: string[] = [];
    await new Promise<void>((resolve) => {
      client.onmessage = (event) => {
        data.push(event.data);
        if (data.length === 3) resolve();
      };
    });
    client.close();
    expect(data).toEqual(['1', '2', '3']);
    expect(seen.slice(0, 3)).toEqual([undefined, 'id-1', 'id-2']);
  });
});

describe('createSseResponse on srvx, which exposes the Node response', () => {
  /** Serves `fetch` with srvx on node:http; returns the body text a client gets. */
  async function serveOnce(
    fetch: (request: Request) => Response | Promise<Response>,
    onResponse?: (res: http.ServerResponse) => void,
  ): Promise<string> {
    // srvx's handler also types HTTP/2 arguments; this server is HTTP/1.1.
    const node = toNodeHandler(fetch) as unknown as http.RequestListener;
    const server = http.createServer((req, res) => {
      onResponse?.(res);
      return node(req, res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return (await globalThis.fetch(`http://127.0.0.1:${port}/events`)).text();
  }

  const twoEvents = (stream: SseStream) => {
    stream.send({ data: 'one' });
    setImmediate(() => {
      stream.send({ data: 'two' });
      stream.close();
    });
  };

  it('writes the events to the Node response itself, not through the body', async () => {
    const bodies: Uint8Array[] = [];
    const text = await serveOnce(
      (request) => createSseResponse(request, twoEvents, { heartbeat: false }),
      (res) => {
        const write = res.write.bind(res) as (chunk: Uint8Array) => boolean;
        res.write = ((chunk: Uint8Array) => {
          bodies.push(chunk);
          return write(chunk);
        }) as typeof res.write;
      },
    );
    expect(text).toBe('data: one\n\ndata: two\n\n');
    expect(Buffer.concat(bodies).toString()).toBe(text);
    // Read through the web body, srvx would also write the empty chunk that primes the headers.
    expect(bodies.every((chunk) => chunk.byteLength > 0)).toBe(true);
  });

  it('sends its events through the body when a middleware wraps the body before the head is sent', async () => {
    const text = await serveOnce((request) => {
      const response = createSseResponse(request, twoEvents, { heartbeat: false });
      const tagged = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          if (chunk.byteLength > 0) controller.enqueue(new TextEncoder().encode(': tagged\n'));
          controller.enqueue(chunk);
        },
      });
      return new Response(response.body?.pipeThrough(tagged), response);
    });
    expect(text).toBe(': tagged\ndata: one\n\n: tagged\ndata: two\n\n');
  });
});
