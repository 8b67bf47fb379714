/**
 * better-sse 0.16: one Session per connection registered on a Channel, `channel.broadcast`.
 * Keep-alive and the initial retry field are off, as for every implementation here.
 */
import { once } from 'node:events';
import http from 'node:http';
import { createChannel, createSession } from 'better-sse';
import { requestedEvents, tokenAt } from '../lib/workload.mjs';

const SESSION_OPTIONS = { retry: null, keepAlive: null };

export function start() {
  const channel = createChannel();

  // better-sse's push ignores backpressure; a careful user watches the response's own buffer.
  async function streamTokens(req, res) {
    const events = requestedEvents(req.url);
    const session = await createSession(req, res, SESSION_OPTIONS);
    for (let i = 0; i < events; i++) {
      session.push(tokenAt(i));
      if (res.writableNeedDrain) await once(res, 'drain');
    }
    res.end();
  }

  const server = http.createServer(async (req, res) => {
    if (req.url.startsWith('/stream')) return void streamTokens(req, res);
    channel.register(await createSession(req, res, SESSION_OPTIONS));
  });

  return {
    server,
    subscribers: () => channel.sessionCount,
    broadcast: (payload) => channel.broadcast(payload),
  };
}
