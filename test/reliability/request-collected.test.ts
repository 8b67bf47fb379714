/**
 * A `Request` built with a signal (`new Request(url, { signal })`, as a server or a test does)
 * makes its own `request.signal` follow that one only while the Request object lives: Node's
 * fetch drops the link when the Request is collected. The fetch entry keeps only what it needs of
 * the request, so once the app's handler has returned, nothing else may hold it. A client that
 * leaves must still close its stream after a garbage collection.
 */

import { createSseResponse } from '@ssekit/core';
import { heartbeatRegistry } from '@ssekit/core/adapter';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from './support/measure.js';
import { until } from './support/wait.js';

/** Opens a stream the way a fetch-style server does, keeping nothing of the Request. */
function openStream(signal: AbortSignal): Response {
  return createSseResponse(
    new Request('http://localhost/events', { headers: { accept: 'text/event-stream' }, signal }),
    (stream) => stream.send({ data: 'open' }),
    { heartbeat: 1_000 },
  );
}

describe('a fetch-style stream whose Request object was collected', () => {
  it('still closes when the signal the Request was built with aborts', async () => {
    const client = new AbortController();
    const response = openStream(client.signal);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    expect(heartbeatRegistry().streams).toBe(1);

    await collectGarbage();
    client.abort();

    await until(() => heartbeatRegistry().streams === 0, 'the stream closed', 5_000);
    expect(await reader.read()).toEqual({ done: true, value: undefined });
  });
});
