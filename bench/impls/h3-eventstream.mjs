/** h3 v2's own EventStream (`createEventStream`), served on node:http through `h3/node`. */
import http from 'node:http';
import { createEventStream, H3 } from 'h3';
import { toNodeHandler } from 'h3/node';
import { requestedEvents, tokenAt } from '../lib/workload.mjs';

const noop = () => {};

export function start() {
  const subscribers = new Set();
  const app = new H3();
  app.get('/sse', (event) => {
    const stream = createEventStream(event);
    subscribers.add(stream);
    stream.onClosed(() => subscribers.delete(stream));
    return stream;
  });
  app.get('/stream', (event) => {
    const events = requestedEvents(event.req.url);
    const stream = createEventStream(event);
    (async () => {
      for (let i = 0; i < events; i++) await stream.push({ data: tokenAt(i) });
      await stream.close();
    })();
    return stream;
  });

  return {
    server: http.createServer(toNodeHandler(app)),
    subscribers: () => subscribers.size,
    broadcast(payload) {
      const message = { data: JSON.stringify(payload) };
      for (const stream of subscribers) stream.push(message).catch(noop);
    },
  };
}
