/**
 * ssekit's fetch entry point, `createEventStreamResponse`, served on node:http through srvx's
 * `toNodeHandler` (which reads the Response body with a reader loop). Broadcasts are encoded once.
 */
import http from 'node:http';
import { createEventStreamResponse, encodeEvent } from '@ssekit/core';
import { toNodeHandler } from 'srvx/node';
import { requestedEvents, tokenAt } from '../lib/workload.mjs';

const OPTIONS = { heartbeat: false };

export function start() {
  const subscribers = new Set();

  function fetch(request) {
    if (new URL(request.url).pathname === '/stream') {
      const events = requestedEvents(request.url);
      return createEventStreamResponse(
        request,
        async (stream) => {
          for (let i = 0; i < events; i++) {
            if (!stream.send({ data: tokenAt(i) })) await stream.ready();
          }
          stream.close();
        },
        OPTIONS,
      );
    }
    return createEventStreamResponse(
      request,
      (stream) => {
        subscribers.add(stream);
        stream.closed.then(() => subscribers.delete(stream));
      },
      OPTIONS,
    );
  }

  return {
    server: http.createServer(toNodeHandler(fetch)),
    subscribers: () => subscribers.size,
    broadcast(payload) {
      const event = encodeEvent({ data: payload });
      for (const stream of subscribers) stream.send(event);
    },
  };
}
