/** A client of an event stream: fetch, read with eventsource-parser (the reference parser). */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface Reading {
  events: EventSourceMessage[];
  /** The reconnection delays received (`retry:`). */
  retries: number[];
  response: Promise<Response>;
  /** Whether the body ended by itself (the server closed the stream). */
  ended: () => boolean;
  stop: () => Promise<void>;
}

/** Opens `url` with fetch and parses the body as it arrives. */
export function read(url: string, headers: Record<string, string>): Reading {
  const controller = new AbortController();
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  let ended = false;
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onRetry: (retry) => retries.push(retry),
  });
  const response = fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const done = (async () => {
    const body = (await response).body as ReadableStream<Uint8Array>;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }));
      ended = true;
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  })();
  // Handled by stop(), which awaits it; meanwhile a server that died fails the wait for events.
  done.catch(() => {});
  return {
    events,
    retries,
    response,
    ended: () => ended,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}
