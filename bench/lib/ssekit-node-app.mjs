/**
 * The node:http app every Node-writer variant of ssekit shares: `/sse` subscribes, `/stream`
 * streams tokens honouring `send()`'s backpressure, broadcasts are encoded once. Only the way a
 * stream is opened on the response differs (`open(req, res) → EventStream`).
 */
import http from 'node:http';
import { encodeEvent } from '@ssekit/core';
import { requestedEvents, tokenAt } from './workload.mjs';

export function ssekitNodeApp(open) {
  const subscribers = new Set();

  async function streamTokens(req, res) {
    const events = requestedEvents(req.url);
    const stream = open(req, res);
    for (let i = 0; i < events; i++) {
      if (!stream.send({ data: tokenAt(i) })) await stream.ready();
    }
    stream.close();
  }

  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/stream')) return void streamTokens(req, res);
    const stream = open(req, res);
    subscribers.add(stream);
    stream.closed.then(() => subscribers.delete(stream));
  });

  return {
    server,
    subscribers: () => subscribers.size,
    broadcast(payload) {
      const event = encodeEvent({ data: payload });
      for (const stream of subscribers) stream.send(event);
    },
  };
}
