/**
 * What every ssekit row does with its streams, whatever the entry point: `/stream` sends tokens
 * honouring backpressure (`await stream.write()`), `/sse` joins the fan-out. The fan-out is either direct
 * (`encodeEvent` once, `stream.send` to each subscriber) or through the hub (`hub.publish`).
 */
import { createHub, encodeEvent } from '@ssekit/core';
import { requestedEvents, tokenAt } from './workload.mjs';

const TOPIC = 'bench';

/** Sends the `n` tokens `url` asks for as fast as the client reads, then closes. */
export async function streamTokens(url, stream) {
  const events = requestedEvents(url);
  for (let i = 0; i < events; i++) {
    await stream.write({ data: tokenAt(i) });
  }
  stream.close();
}

/** Subscribers in a Set; a broadcast is encoded once and sent to each. */
export function directFanOut() {
  const subscribers = new Set();
  return {
    add(stream) {
      subscribers.add(stream);
      stream.closed.then(() => subscribers.delete(stream));
    },
    subscribers: () => subscribers.size,
    broadcast(payload) {
      const event = encodeEvent({ data: payload });
      for (const stream of subscribers) stream.send(event);
    },
  };
}

/** Subscribers on one hub topic (in-process broker, memory history); `hub.publish` broadcasts. */
export function hubFanOut() {
  const hub = createHub();
  return {
    add: (stream) => hub.subscribe(stream, TOPIC),
    subscribers: () => hub.stats().openStreams,
    broadcast: (payload) => void hub.publish(TOPIC, { data: payload }),
  };
}

/** The fan-out a row asks for. */
export const fanOutFor = (options = {}) => (options.hub ? hubFanOut() : directFanOut());
