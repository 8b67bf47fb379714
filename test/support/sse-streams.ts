/**
 * Helpers of the `SseStream` unit tests (packages/core/src/sse-stream*.test.ts): streams opened
 * through `open` are closed after each test, which also checks that none left a heartbeat behind.
 */

import { expect } from 'vitest';
import { heartbeatRegistry } from '../../packages/core/src/heartbeat.js';
import { createSseStream, type SseStream } from '../../packages/core/src/sse-stream.js';

const decoder = new TextDecoder();

/** Lets the event loop go round once: what was queued before is now a client's to have read. */
export const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The text of the next chunk the reader gets, or `'<done>'` once the stream ended. */
export async function readText(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const { value, done } = await reader.read();
  return done ? '<done>' : decoder.decode(value);
}

const opened: SseStream[] = [];

/** Creates a stream that `closeOpened` closes after the test. */
export function open(options: Parameters<typeof createSseStream>[0] = {}): SseStream {
  const stream = createSseStream(options);
  opened.push(stream);
  return stream;
}

/** For `afterEach`: closes every stream `open` made and checks that no heartbeat is left. */
export function closeOpened(): void {
  for (const stream of opened.splice(0)) stream.close();
  expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
}
