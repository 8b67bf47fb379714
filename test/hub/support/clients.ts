/**
 * Clients we did not write: Node's fetch with eventsource-parser, the `eventsource` package, a
 * node:http request that stops reading (a paused client), and eventsource-parser in a process of
 * its own (a client reading at full speed while the test's process is busy).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { EventSource } from 'eventsource';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface FetchReader {
  readonly events: EventSourceMessage[];
  readonly retries: number[];
  /** Resolves when the body ended or the read failed (including our own abort). */
  readonly done: Promise<void>;
  isDone(): boolean;
  /** Drops the connection from the client side. */
  abort(): void;
}

/** Reads an event stream with fetch; `lastEventId` is sent as the `Last-Event-ID` header. */
export function fetchReader(url: string, lastEventId?: string): FetchReader {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const controller = new AbortController();
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onRetry: (retry) => retries.push(retry),
  });
  let finished = false;
  const read = async () => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const response = await fetch(url, { headers, signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  };
  const done = read()
    .catch(() => {})
    .finally(() => {
      finished = true;
    });
  return { events, retries, done, isDone: () => finished, abort: () => controller.abort() };
}

export interface EventSourceClient {
  readonly source: EventSource;
  /** Every event received, default and named, in order, with its type. */
  readonly events: Array<{ type: string; data: string; lastEventId: string }>;
  readonly opens: () => number;
  close(): void;
}

/** Opens an `eventsource` package EventSource and records the given event types. */
export function eventSourceClient(
  url: string,
  types: readonly string[] = ['message'],
): EventSourceClient {
  const source = new EventSource(url);
  const events: EventSourceClient['events'] = [];
  let opens = 0;
  source.addEventListener('open', () => {
    opens += 1;
  });
  for (const type of types) {
    source.addEventListener(type, (event) => {
      events.push({ type, data: event.data, lastEventId: event.lastEventId });
    });
  }
  return { source, events, opens: () => opens, close: () => source.close() };
}

export interface PausedClient {
  /** Resolves with the response once headers arrived; the body is never read. */
  readonly response: Promise<http.IncomingMessage>;
  destroy(): void;
}

/** A client that connects, then stops reading: its socket and the server's buffers fill up. */
export function pausedClient(url: string): PausedClient {
  const req = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } });
  req.on('error', () => {});
  const response = new Promise<http.IncomingMessage>((resolve) => {
    req.once('response', (res) => {
      res.pause();
      res.on('error', () => {});
      resolve(res);
    });
  });
  return { response, destroy: () => req.destroy() };
}

/** The `seq` numbers of JSON payloads `{ seq }`, in arrival order. */
export function sequence(events: ReadonlyArray<{ data: string; event?: string; type?: string }>) {
  const seqs: number[] = [];
  for (const event of events) {
    const name = event.event ?? event.type ?? 'message';
    if (name === 'message' || name === 'tick')
      seqs.push((JSON.parse(event.data) as { seq: number }).seq);
  }
  return seqs;
}

/** `[from, from + 1, …, to]`. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

export interface SlowReader {
  readonly events: EventSourceMessage[];
  /** Resolves with the response once headers arrived; the body is not read until `resume`. */
  readonly response: Promise<http.IncomingMessage>;
  /** Starts reading (and parsing) the body. */
  resume(): void;
  /** Whether the server ended the response. */
  ended(): boolean;
  destroy(): void;
}

/**
 * A client that connects and does not read until `resume()`: behind for as long as the test
 * wants, then a reader like any other (eventsource-parser). `lastEventId` is sent as the header.
 */
export function slowReader(url: string, lastEventId?: string): SlowReader {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const req = http.get(url, { agent: false, headers });
  req.on('error', () => {});
  let ended = false;
  const response = new Promise<http.IncomingMessage>((resolve) => {
    req.once('response', (res) => {
      res.pause();
      res.setEncoding('utf8');
      res.on('data', (text: string) => parser.feed(text));
      res.on('error', () => {});
      res.on('close', () => {
        ended = true;
      });
      resolve(res);
    });
  });
  return {
    events,
    response,
    resume: () => void response.then((res) => res.resume()),
    ended: () => ended,
    destroy: () => req.destroy(),
  };
}

/**
 * A client in its own process (reader-process.mjs), reading at full speed while the test's
 * process publishes: resolves with its events once the stream ends.
 */
export function readerProcess(url: string): Promise<Array<{ event: string; data: string }>> {
  const script = fileURLToPath(new URL('./reader-process.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  return text(child.stdout).then((output) => JSON.parse(output));
}
