/**
 * Node's own server timeouts never cut an open event stream: `requestTimeout` and
 * `headersTimeout` bound receiving the request (done before the stream opens), and
 * `keepAliveTimeout` starts only after a response has ended. Set far shorter than the silence
 * here, none of them ends the stream. (`server.timeout`, the socket idle timeout, is 0 by
 * default; heartbeats reset it when it is set.)
 */
import http from 'node:http';
import { openSseStream } from '@ssekit/core/node';
import { expect, it, onTestFinished } from 'vitest';
import { plainRequest } from '../conformance/support/clients.js';
import { listen, stop } from '../support/listen.js';

const SILENCE_MS = 2500;

it("keeps a silent stream open past Node's requestTimeout, headersTimeout and keepAliveTimeout", async () => {
  const server = http.createServer(
    {
      requestTimeout: 1000,
      headersTimeout: 500,
      keepAliveTimeout: 200,
      connectionsCheckingInterval: 100,
    },
    (req, res) => {
      const stream = openSseStream(req, res, { heartbeat: false });
      stream.send({ event: 'open', data: '' });
      const timer = setTimeout(() => {
        stream.send({ event: 'after-silence', data: String(SILENCE_MS) });
        stream.close();
      }, SILENCE_MS);
      void stream.closed.then(() => clearTimeout(timer));
    },
  );
  onTestFinished(() => stop(server));
  const answer = await plainRequest(`${await listen(server)}/events`);
  expect(answer.status).toBe(200);
  expect(answer.body).toBe('event: open\ndata: \n\nevent: after-silence\ndata: 2500\n\n');
});
