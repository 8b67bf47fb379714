/**
 * What the client sends and what it makes of the answer: headers evaluated on every connect (a
 * refreshed token is used on reconnect), the app's own fetch and credentials mode, 401/403 handed to onUnauthorized for one retry, a
 * request with a body never sent twice unless the stream resumes, and the answers that stop it
 * for good (204, a body that is not an event stream, a status retrying cannot fix).
 */
import { createClient, type SseClientError } from '@ssekit/client';
import { openSseStream } from '@ssekit/core/node';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sleep, until } from '../support/wait.js';
import { hubServer, type PriceEvents, plainServer, TOPIC } from './support/servers.js';

/** A client and what it reported, closed when the test ends. */
function tracked<Events extends PriceEvents>(
  url: string,
  options: Parameters<typeof createClient>[1] = {},
) {
  const errors: SseClientError[] = [];
  const client = createClient<Events>(url, { ...options, onError: (error) => errors.push(error) });
  onTestFinished(() => client.close());
  return { client, errors };
}

describe('headers', () => {
  it('runs the headers function on every connect, so a reconnect carries the fresh token', async () => {
    const server = await hubServer();
    let token = 'token-1';
    const { client } = tracked(server.url, {
      headers: async () => ({ Authorization: `Bearer ${token}` }),
      retryDelay: 10,
    });
    await until(() => client.state === 'open', 'the first connection');
    token = 'token-2';
    server.cut();
    await until(() => server.requests.length === 2 && client.state === 'open', 'the reconnect');
    expect(server.requests.map((request) => request.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
  });
});

describe('fetch and credentials', () => {
  it('makes its requests through the fetch it is given, with the credentials mode asked', async () => {
    const server = await hubServer();
    const seen: RequestInit[] = [];
    const { client } = tracked(server.url, {
      credentials: 'include',
      retryDelay: 10,
      fetch: (input, init) => {
        seen.push(init ?? {});
        return fetch(input, init);
      },
    });
    await until(() => client.state === 'open', 'the first connection');
    server.cut();
    await until(() => server.requests.length === 2 && client.state === 'open', 'the reconnect');
    expect(seen.map((init) => init.credentials)).toEqual(['include', 'include']);
    expect(seen.map((init) => new Headers(init.headers).get('accept'))).toEqual([
      'text/event-stream',
      'text/event-stream',
    ]);
  });
});

describe('401 and 403', () => {
  /** Streams to requests carrying `valid`, answers 401 (or `status`) to others. */
  const guarded = (valid: () => string, status = 401) =>
    plainServer((req, res) => {
      if (req.headers.authorization !== valid()) {
        res.writeHead(status).end();
        return;
      }
      openSseStream(req, res).send({ event: 'note', data: JSON.stringify('in') });
    });

  it('lets onUnauthorized refresh the token and retries once with it', async () => {
    const server = await guarded(() => 'Bearer fresh');
    let token = 'stale';
    let calls = 0;
    const { client, errors } = tracked(server.url, {
      headers: () => ({ Authorization: `Bearer ${token}` }),
      onUnauthorized: async (response) => {
        calls += 1;
        expect(response.status).toBe(401);
        token = 'fresh';
        return true;
      },
    });
    const notes: string[] = [];
    client.on('note', (note) => notes.push(note));
    await until(() => notes.length === 1, 'the note after the refresh');
    expect(calls).toBe(1);
    expect(server.requests.map((request) => request.authorization)).toEqual([
      'Bearer stale',
      'Bearer fresh',
    ]);
    expect(errors).toEqual([]);
  });

  it('sends nothing more when closed while onUnauthorized decides, even if it says retry', async () => {
    const server = await guarded(() => 'never');
    let decide!: (retry: boolean) => void;
    const { client } = tracked(server.url, {
      onUnauthorized: () => new Promise<boolean>((resolve) => (decide = resolve)),
    });
    await until(() => decide !== undefined, 'onUnauthorized to be asked');
    client.close();
    decide(true);
    await sleep(200);
    expect(server.requests).toHaveLength(1);
  });

  it.each([401, 403])(
    'stops with ERR_SSE_UNAUTHORIZED when the retry gets %i again',
    async (status) => {
      const server = await guarded(() => 'never', status);
      let calls = 0;
      const { client, errors } = tracked(server.url, {
        onUnauthorized: () => {
          calls += 1;
          return true;
        },
        retryDelay: 1,
      });
      await until(() => client.state === 'closed', 'the client to close');
      expect(calls).toBe(1);
      expect(server.requests).toHaveLength(2);
      expect(client.error).toMatchObject({ code: 'ERR_SSE_UNAUTHORIZED', status });
      expect(errors).toEqual([client.error]);
    },
  );

  it('stops at the first 401 without onUnauthorized', async () => {
    const server = await guarded(() => 'never');
    const { client } = tracked(server.url, { retryDelay: 1 });
    await until(() => client.state === 'closed', 'the client to close');
    await sleep(50);
    expect(server.requests).toHaveLength(1);
    expect(client.error?.code).toBe('ERR_SSE_UNAUTHORIZED');
  });
});

describe('a request with a body', () => {
  it('is not sent again when the server sent no ids: the client closes instead', async () => {
    const server = await plainServer((req, res) => {
      const stream = openSseStream(req, res);
      stream.send({ event: 'note', data: JSON.stringify('partial answer') });
      // The connection drops mid-answer.
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const { client, errors } = tracked(server.url, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'hi' }),
      retryDelay: 1,
    });
    await until(() => client.state === 'closed', 'the client to close');
    await sleep(50);
    expect(server.requests.map((request) => [request.method, request.body])).toEqual([
      ['POST', '{"prompt":"hi"}'],
    ]);
    expect(errors.map((error) => error.code)).toEqual(['ERR_SSE_CONNECTION_LOST']);
  });

  it('ends quietly, without a resend, when the server ends a stream without ids', async () => {
    const server = await plainServer((req, res) => {
      const stream = openSseStream(req, res);
      stream.send({ event: 'note', data: JSON.stringify('whole answer') });
      stream.close();
    });
    const { client, errors } = tracked(server.url, { method: 'POST', body: 'x', retryDelay: 1 });
    const notes: string[] = [];
    for await (const event of client) if (event.event === 'note') notes.push(event.data);
    expect(notes).toEqual(['whole answer']);
    expect(server.requests).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('is sent again when the stream has ids: it resumes with Last-Event-ID', async () => {
    const server = await hubServer();
    const { client } = tracked(server.url, { method: 'POST', body: 'subscribe', retryDelay: 1 });
    const seen: number[] = [];
    client.on('price', (price) => seen.push(price.n));
    await until(() => client.state === 'open', 'the client to open');
    await server.hub.publish(TOPIC, { event: 'price', data: { symbol: 'A', n: 1 } });
    await until(() => seen.length === 1, 'the first event');
    server.cut();
    await server.hub.publish(TOPIC, { event: 'price', data: { symbol: 'A', n: 2 } });
    await until(() => seen.length === 2, 'the event published while away');
    expect(seen).toEqual([1, 2]);
    expect(server.requests.map((request) => [request.method, request.body])).toEqual([
      ['POST', 'subscribe'],
      ['POST', 'subscribe'],
    ]);
    expect(server.requests[1]?.lastEventId).toMatch(/^\d+-\d+$/);
  });

  it('is sent again without ids when the app opts in (retryWithBody)', async () => {
    const server = await plainServer((req, res) => {
      openSseStream(req, res).send({ data: '1' });
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const { client } = tracked(server.url, {
      method: 'POST',
      body: 'again',
      retryWithBody: true,
      retryDelay: 1,
    });
    await until(() => server.requests.length >= 2, 'a second POST');
    expect(client.state).not.toBe('closed');
  });
});

describe('answers that stop the client', () => {
  it('stops on 204 without an error and without a retry', async () => {
    const server = await plainServer((_req, res) => {
      res.writeHead(204).end();
    });
    const { client, errors } = tracked(server.url, { retryDelay: 1 });
    await until(() => client.state === 'closed', 'the client to close');
    await sleep(50);
    expect(server.requests).toHaveLength(1);
    expect(client.error).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('stops on a 200 that is not text/event-stream, with ERR_SSE_NOT_EVENT_STREAM', async () => {
    const server = await plainServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>login</h1>');
    });
    const { client, errors } = tracked(server.url, { retryDelay: 1 });
    await until(() => client.state === 'closed', 'the client to close');
    await sleep(50);
    expect(server.requests).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_SSE_NOT_EVENT_STREAM', status: 200 });
    expect(errors[0]?.message).toContain('"text/html"');
  });

  it('stops on 404 with ERR_SSE_HTTP_STATUS, and for await throws it', async () => {
    const server = await plainServer((_req, res) => {
      res.writeHead(404).end();
    });
    const { client } = tracked(server.url, { retryDelay: 1 });
    await expect(async () => {
      for await (const _ of client) {
      }
    }).rejects.toMatchObject({ code: 'ERR_SSE_HTTP_STATUS', status: 404 });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 503 (the server is restarting)', async () => {
    let answered = 0;
    const server = await plainServer((req, res) => {
      answered += 1;
      if (answered < 3) res.writeHead(503).end();
      else openSseStream(req, res).send({ event: 'note', data: '"up"' });
    });
    const { client } = tracked(server.url, { retryDelay: 1 });
    const notes: string[] = [];
    client.on('note', (note) => notes.push(note));
    await until(() => notes.length === 1, 'the note after two 503s');
    expect(server.requests).toHaveLength(3);
  });
});
