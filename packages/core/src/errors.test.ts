/**
 * Every code of the core, reached through the public API: bad input is a TypeError carrying an
 * input code, what goes wrong at run time a SsekitError. docs/errors.md documents each.
 */
import { describe, expect, it } from 'vitest';
import { acceptsEventStream } from './accept.js';
import { SsekitError, type SsekitErrorCode } from './errors.js';
import { createHub } from './hub/hub.js';
import { compareIds } from './hub/ids.js';
import { localBroker } from './hub/local-broker.js';
import { memoryHistory } from './hub/memory-history.js';
import { resolveStreamOptions } from './resolve-stream-options.js';
import { createSseStream } from './sse-stream.js';

const quiet = () => createSseStream({ heartbeat: false });

/** `run` throws a TypeError carrying `code`, with a message of ssekit's. */
function expectInput(run: () => unknown, code: SsekitErrorCode): void {
  expect(run).toThrow(TypeError);
  expect(run).toThrow(
    expect.objectContaining({ code, message: expect.stringMatching(/^ssekit: /) }),
  );
}

describe('bad input is a TypeError with a code', () => {
  it('ERR_SSE_INVALID_FIELD: a message field that could break the stream', () => {
    const stream = quiet();
    expectInput(() => stream.send({ event: 'a\nb', data: 1 }), 'ERR_SSE_INVALID_FIELD');
    expectInput(() => stream.send({ id: 'a\0b', data: 1 }), 'ERR_SSE_INVALID_FIELD');
    expectInput(() => stream.write({ data: 10n }), 'ERR_SSE_INVALID_FIELD');
    expectInput(() => stream.send({ evnet: 'x', data: 1 } as never), 'ERR_SSE_INVALID_FIELD');
    const hub = createHub();
    expectInput(() => hub.publish('t', { event: 'x' } as never), 'ERR_SSE_INVALID_FIELD');
    stream.close();
  });

  it('ERR_SSE_INVALID_OPTION: an option value out of range', () => {
    expectInput(() => createSseStream({ heartbeat: 0 }), 'ERR_SSE_INVALID_OPTION');
    expectInput(() => createSseStream({ retry: -5 }), 'ERR_SSE_INVALID_OPTION');
    expectInput(() => createSseStream({ onOverflow: 'wait' as never }), 'ERR_SSE_INVALID_OPTION');
    expectInput(
      () => createSseStream({ headers: { connection: 'keep-alive' } }),
      'ERR_SSE_INVALID_OPTION',
    );
    expectInput(
      () => resolveStreamOptions({ highWaterMark: 1.5 }, 'sse'),
      'ERR_SSE_INVALID_OPTION',
    );
    expectInput(() => createHub({ maxConnections: 0 }), 'ERR_SSE_INVALID_OPTION');
    expectInput(
      () => createHub({ history: memoryHistory(), broker: localBroker() }),
      'ERR_SSE_INVALID_OPTION',
    );
    expectInput(() => createHub().close({ retry: -1 }), 'ERR_SSE_INVALID_OPTION');
    expectInput(() => memoryHistory({ maxEvents: 0 }), 'ERR_SSE_INVALID_OPTION');
  });

  it('ERR_SSE_UNKNOWN_OPTION: a misspelled option key', () => {
    expectInput(() => createSseStream({ hearbeat: 1 } as never), 'ERR_SSE_UNKNOWN_OPTION');
    expectInput(() => createHub({ maxConection: 1 } as never), 'ERR_SSE_UNKNOWN_OPTION');
    expectInput(
      () => resolveStreamOptions({ onErorr: 1 } as never, 'sse'),
      'ERR_SSE_UNKNOWN_OPTION',
    );
  });

  it('ERR_SSE_INVALID_ARGUMENT: an argument of the wrong shape', () => {
    const stream = quiet();
    expectInput(() => stream.pipe(42 as never), 'ERR_SSE_INVALID_ARGUMENT');
    expectInput(() => stream.pipe([], 'map' as never), 'ERR_SSE_INVALID_ARGUMENT');
    expectInput(() => stream.send(null as never), 'ERR_SSE_INVALID_ARGUMENT');
    const hub = createHub();
    expectInput(() => hub.publish('', { data: 1 }), 'ERR_SSE_INVALID_ARGUMENT');
    expectInput(() => hub.subscribe(stream, []), 'ERR_SSE_INVALID_ARGUMENT');
    expectInput(() => compareIds('latest', '1-1'), 'ERR_SSE_INVALID_ARGUMENT');
    expectInput(() => acceptsEventStream({} as never), 'ERR_SSE_INVALID_ARGUMENT');
    expectInput(() => resolveStreamOptions(null as never, 'sse'), 'ERR_SSE_INVALID_ARGUMENT');
    stream.close();
  });

  it('ERR_SSE_READER_ATTACHED: a second reader of one stream', () => {
    const stream = quiet();
    void stream.readable;
    expectInput(() => stream.readable, 'ERR_SSE_READER_ATTACHED');
    stream.close();
  });

  it('ERR_SSE_FILTER_CONFLICT: one stream, one topic, two filters', async () => {
    const hub = createHub();
    const stream = quiet();
    void stream.readable;
    hub.subscribe(stream, 'prices', { filter: () => true });
    expectInput(
      () => hub.subscribe(stream, 'prices', { filter: () => false }),
      'ERR_SSE_FILTER_CONFLICT',
    );
    await hub.close();
  });
});

describe('what goes wrong at run time is a SsekitError with a code', () => {
  it('ERR_SSE_HUB_CLOSED: publish after hub.close()', async () => {
    const hub = createHub();
    await hub.close();
    const error = await hub.publish('t', { data: 1 }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(SsekitError);
    expect(error).toMatchObject({ name: 'SsekitError', code: 'ERR_SSE_HUB_CLOSED' });
  });

  it('ERR_SSE_BROKER_CLOSED: publish on a closed broker', async () => {
    const broker = localBroker();
    await broker.close();
    await expect(broker.publish({ topic: 't', data: '1' })).rejects.toMatchObject({
      code: 'ERR_SSE_BROKER_CLOSED',
    });
  });

  it('ERR_SSE_OVERFLOW: the reason a client that stopped reading was cut off with', async () => {
    const stream = createSseStream({ heartbeat: false, maxBufferedBytes: 100, highWaterMark: 50 });
    const reader = stream.readable.getReader();
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    for (let turn = 0; turn < 5 && !stream.isClosed; turn++) {
      stream.send({ data: 'x'.repeat(80) });
      await nextTurn();
    }
    expect(stream.isClosed).toBe(true);
    const error = await reader.read().catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(SsekitError);
    expect(error).toMatchObject({ code: 'ERR_SSE_OVERFLOW' });
  });
});
