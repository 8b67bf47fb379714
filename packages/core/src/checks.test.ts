import { describe, expect, it } from 'vitest';
import { createSseStream } from './adapter.js';
import { localBroker } from './broker.js';
import { createHub, createSseResponse, memoryHistory } from './index.js';
import { openSseStream } from './node/index.js';

/** Each public options boundary, given a misspelled key: the error names it and the fix. */
const misspelled: Array<[string, () => unknown, string, string]> = [
  [
    'createSseStream',
    () => createSseStream({ maxBufferBytes: 1 } as never),
    'maxBufferBytes',
    'maxBufferedBytes',
  ],
  [
    'createSseStream',
    () => createSseStream({ onOverflo: 'drop' } as never),
    'onOverflo',
    'onOverflow',
  ],
  ['createSseStream', () => createSseStream({ hearbeat: false } as never), 'hearbeat', 'heartbeat'],
  [
    'a message',
    () => createSseStream().send({ data: 'x', evnet: 'price' } as never),
    'evnet',
    'event',
  ],
  ['createHub', () => createHub({ maxConection: 1 } as never), 'maxConection', 'maxConnections'],
  ['createHub', () => createHub({ OnError: () => {} } as never), 'OnError', 'onError'],
  [
    'hub.subscribe',
    () => createHub().subscribe(createSseStream(), 'a', { filtr: () => false } as never),
    'filtr',
    'filter',
  ],
  ['hub.close', () => createHub().close({ retyr: 1000 } as never), 'retyr', 'retry'],
  ['memoryHistory', () => memoryHistory({ maxEvent: 5 } as never), 'maxEvent', 'maxEvents'],
  ['localBroker', () => localBroker({ histroy: memoryHistory() } as never), 'histroy', 'history'],
  [
    'createSseResponse',
    () => createSseResponse(new Request('http://x/'), () => {}, { onErorr: () => {} } as never),
    'onErorr',
    'onError',
  ],
];

describe('an unknown option key is a TypeError naming the key and its likely spelling', () => {
  it.each(misspelled)('%s rejects "%s"', (owner, call, key, suggestion) => {
    expect(call).toThrow(TypeError);
    expect(call).toThrow(`ssekit: ${owner} has no option "${key}"; did you mean "${suggestion}"?`);
  });

  it('names no suggestion when nothing is close', () => {
    expect(() => createSseStream({ colour: 'red' } as never)).toThrow(
      /has no option "colour"; Known options: signal, lastEventId/,
    );
  });

  it('openSseStream rejects a misspelled option before writing anything', () => {
    let wrote = false;
    const res = {
      writeHead: () => {
        wrote = true;
      },
    };
    expect(() =>
      openSseStream(
        { headers: {}, method: 'GET' } as never,
        res as never,
        {
          hearbeat: 1000,
        } as never,
      ),
    ).toThrow('did you mean "heartbeat"?');
    expect(wrote).toBe(false);
  });

  it('a non-function onError is a TypeError, not a crash at the first failure', () => {
    expect(() => createHub({ onError: 'log' as never })).toThrow(
      /createHub "onError" must be a function/,
    );
    expect(() =>
      createSseResponse(new Request('http://x/'), () => {}, { onError: 1 as never }),
    ).toThrow(/createSseResponse "onError" must be a function/);
  });
});

describe('every documented option is still accepted', () => {
  it('createSseStream, send, createHub, subscribe, close, memoryHistory, localBroker', async () => {
    const stream = createSseStream({
      signal: new AbortController().signal,
      lastEventId: '1',
      heartbeat: false,
      retry: 1000,
      serializer: JSON.stringify,
      headers: { 'x-a': 'b' },
      highWaterMark: 1000,
      maxBufferedBytes: 10_000,
      onOverflow: 'drop',
      // A key set to undefined is as good as left out.
      ...({} as { signal?: undefined }),
    });
    expect(stream.send({ event: 'e', data: 'd', id: '1', retry: 5, comment: 'c' })).toBe(true);
    const history = memoryHistory({ maxEvents: 5, maxAgeMs: 1000 });
    const hub = createHub({
      broker: localBroker({ history }),
      maxConnections: 5,
      busyRetry: 100,
      serializer: JSON.stringify,
      deserializer: JSON.parse,
      onError: () => {},
    });
    createHub({ history: memoryHistory() }).close();
    hub.subscribe(stream, 'a', { filter: () => true });
    await hub.close({ retry: 100 });
    const response = createSseResponse(new Request('http://x/'), () => {}, {
      onError: () => {},
      heartbeat: false,
    });
    await response.body?.cancel();
  });
});
