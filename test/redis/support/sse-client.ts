/**
 * A reconnectable SSE client for the Redis suites: Node's fetch reads the body and
 * eventsource-parser (not ours) parses it. It remembers the last event id like EventSource does,
 * and can reconnect to another instance with it.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { until } from '../../support/wait.js';

export interface RedisSseClient {
  /** Every event received, across reconnections, control events included. */
  readonly events: EventSourceMessage[];
  /** Comment lines received (heartbeats). */
  readonly comments: string[];
  /** The last event id seen, as EventSource keeps it. */
  readonly lastEventId: string | undefined;
  /** `true` while a connection is open. */
  readonly connected: boolean;
  /** Resolves when the current connection ends (server closed or killed). */
  readonly ended: Promise<void>;
  /** Opens a connection to `baseUrl`, sending `Last-Event-ID` when one is known. */
  connect(baseUrl: string): Promise<void>;
  /** Drops the current connection from the client side. */
  disconnect(): void;
  /** The payload events (`data` parsed as JSON), control events left out. */
  data(): Array<{ n: number; by: string }>;
  /**
   * How many payload events arrived: what to poll. Polling `data()` parses every event again on
   * each poll, which takes the process (and so the client's reading) over in a long catch-up.
   */
  readonly received: number;
  /** Waits until `predicate` holds for the events, or fails after `timeoutMs`. */
  waitFor(predicate: (events: EventSourceMessage[]) => boolean, timeoutMs?: number): Promise<void>;
}

/** A client for `topics`; `lastEventId` is sent on the first connection too (a resuming client). */
export function sseClient(topics: readonly string[], lastEventId?: string): RedisSseClient {
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  let controller: AbortController | undefined;
  let connected = false;
  let received = 0;
  let ended: Promise<void> = Promise.resolve();
  const isPayload = (event: EventSourceMessage) =>
    event.event === undefined || event.event === 'message';

  const client: RedisSseClient = {
    events,
    comments,
    get lastEventId() {
      return lastEventId;
    },
    get connected() {
      return connected;
    },
    get received() {
      return received;
    },
    get ended() {
      return ended;
    },
    async connect(baseUrl) {
      controller = new AbortController();
      const query = topics.map((topic) => `topic=${encodeURIComponent(topic)}`).join('&');
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const response = await fetch(`${baseUrl}/events?${query}`, {
        headers,
        signal: controller.signal,
      });
      if (response.status !== 200 || response.body === null) {
        throw new Error(`event stream answered ${response.status}`);
      }
      connected = true;
      const parser = createParser({
        onEvent(event) {
          if (event.id !== undefined) lastEventId = event.id;
          events.push(event);
          if (isPayload(event)) received += 1;
        },
        onComment: (comment) => comments.push(comment),
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      ended = (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            parser.feed(value);
          }
        } catch {
          // Aborted by disconnect(), or the server process died: the connection has ended.
        } finally {
          connected = false;
        }
      })();
    },
    disconnect() {
      controller?.abort();
    },
    data() {
      return events
        .filter(isPayload)
        .map((event) => JSON.parse(event.data) as { n: number; by: string });
    },
    waitFor(predicate, timeoutMs = 15_000) {
      return until(
        () => predicate(events),
        () =>
          `the events, have ${events.length}, ${connected ? 'still connected' : 'disconnected'} (last: ${JSON.stringify(events.at(-1))?.slice(0, 200)})`,
        timeoutMs,
      );
    },
  };
  return client;
}

/** `[start, start + 1, ..., start + count - 1]`. */
export function sequence(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}
