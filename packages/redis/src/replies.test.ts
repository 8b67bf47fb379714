/**
 * Every reply shape the supported clients hand over, as they did against Redis 7 (recorded from
 * node-redis 5 and 6 over RESP2 and RESP3, ioredis 5, ioredis 6.0 and 6.1 with each reply
 * mapping), read into the one shape the broker uses.
 */
import { describe, expect, it } from 'vitest';
import {
  isErrorReply,
  isNoSuchKey,
  readEntries,
  readStreamState,
  readTimedPosition,
  readXreadStreams,
} from './replies.js';

const key = 'ssekit:events';
const entries = [
  ['1700000000000-1', ['topic', 'a', 'data', 'one']],
  ['1700000000000-2', ['topic', 'b', 'data', 'two']],
];
const expected = [
  {
    id: '1700000000000-1',
    fields: new Map([
      ['topic', 'a'],
      ['data', 'one'],
    ]),
  },
  {
    id: '1700000000000-2',
    fields: new Map([
      ['topic', 'b'],
      ['data', 'two'],
    ]),
  },
];

const other = 'ssekit:other';
const otherEntries = [['1-3', ['topic', 'c', 'data', 'three']]];

describe('readXreadStreams', () => {
  it.each([
    ['RESP2 (node-redis RESP2, ioredis 5, ioredis 6.1 legacy mapping)', [[key, entries]]],
    ['RESP3 as a plain object (node-redis RESP3, ioredis 6 resp3 mapping)', { [key]: entries }],
    ['RESP3 as a Map (node-redis with a Map type mapping)', new Map([[key, entries]])],
    ['RESP3 flattened to [key, entries] (ioredis 6.0 call())', [key, entries]],
    ['buffers for the key', [Buffer.from(key), entries]],
  ])('reads %s', (_shape, reply) => {
    expect(readXreadStreams(reply)).toEqual(new Map([[key, expected]]));
  });

  it.each([
    [
      'RESP2',
      [
        [key, entries],
        [other, otherEntries],
      ],
    ],
    ['RESP3 as a plain object', { [key]: entries, [other]: otherEntries }],
    [
      'RESP3 as a Map',
      new Map<string, unknown>([
        [key, entries],
        [other, otherEntries],
      ]),
    ],
    ['RESP3 flattened', [key, entries, other, otherEntries]],
  ])('reads the entries of several streams by key, %s', (_shape, reply) => {
    const streams = readXreadStreams(reply);
    expect([...streams.keys()]).toEqual([key, other]);
    expect(streams.get(key)).toEqual(expected);
    expect(streams.get(other)?.map((entry) => entry.id)).toEqual(['1-3']);
  });

  it.each([
    ['null', null],
    ['an empty array', []],
    ['an empty object', {}],
  ])('reads a timed-out read (%s) as no entries', (_shape, reply) => {
    expect(readXreadStreams(reply).size).toBe(0);
  });

  it('refuses a reply of no known shape with an error naming it', () => {
    expect(() => readXreadStreams([42])).toThrow(/unexpected XREAD reply/);
    expect(() => readXreadStreams([42])).toThrow(
      expect.objectContaining({ code: 'ERR_SSE_UNEXPECTED_REPLY' }),
    );
  });
});

describe('readEntries and readStreamState', () => {
  it('decode buffers as UTF-8 text', () => {
    const reply = [[Buffer.from('1-1'), [Buffer.from('data'), Buffer.from('✓ 🎉')]]];
    expect(readEntries(reply)).toEqual([{ id: '1-1', fields: new Map([['data', '✓ 🎉']]) }]);
  });

  it('read the last generated id from a flat array, an object or a Map', () => {
    const flat = ['length', 2, 'last-generated-id', '5-2', 'first-entry', ['5-1', ['a', 'b']]];
    const object = { length: 2, 'last-generated-id': '5-2', 'first-entry': ['5-1', ['a', 'b']] };
    for (const reply of [flat, object, new Map(Object.entries(object))]) {
      expect(readStreamState(reply)).toEqual({ lastGeneratedId: '5-2' });
    }
  });
});

describe('malformed replies', () => {
  it.each([
    ['a number', 42, /unexpected XRANGE reply/],
    ['a string', 'OK', /unexpected XRANGE reply/],
    ['an entry that is not an array', ['1-1'], /unexpected stream entry reply/],
  ])('refuses an XRANGE reply that is %s, naming what it expected', (_shape, reply, message) => {
    expect(() => readEntries(reply)).toThrow(message);
  });

  it('reads a missing XRANGE reply (null) as no entries', () => {
    expect(readEntries(null)).toEqual([]);
    expect(readEntries(undefined)).toEqual([]);
  });

  it('reads an XREAD Map or object of no entries as none, and refuses entries of no known shape', () => {
    expect(readXreadStreams(new Map()).size).toBe(0);
    expect(readXreadStreams({ [key]: null })).toEqual(new Map([[key, []]]));
    expect(() => readXreadStreams({ [key]: 'entries' })).toThrow(/unexpected XRANGE reply/);
  });

  it('reads fields of no known shape as none, and drops a key left without a value', () => {
    expect(readEntries([['1-1', null]])).toEqual([{ id: '1-1', fields: new Map() }]);
    expect(readEntries([['1-1', ['topic', 'a', 'data']]])).toEqual([
      { id: '1-1', fields: new Map([['topic', 'a']]) },
    ]);
  });

  it('turns numbers into text and nested values into empty text', () => {
    expect(readEntries([[5, ['n', 7, 'nested', ['x']]]])).toEqual([
      {
        id: '5',
        fields: new Map([
          ['n', '7'],
          ['nested', ''],
        ]),
      },
    ]);
  });

  it('refuses an XINFO STREAM reply without the last generated id, saying so', () => {
    for (const reply of [['length', 2], {}, new Map(), null, 'OK']) {
      expect(() => readStreamState(reply)).toThrow(/no "last-generated-id"/);
    }
  });
});

describe('readTimedPosition', () => {
  it("reads Redis's time to the millisecond and the last id, as strings or buffers", () => {
    const expectedPosition = { redisMs: 1700000000123, lastId: '1700000000100-42' };
    expect(readTimedPosition(['1700000000', '123999', '1700000000100-42'])).toEqual(
      expectedPosition,
    );
    const bytes = (value: string) => new TextEncoder().encode(value);
    expect(
      readTimedPosition([bytes('1700000000'), bytes('123999'), bytes('1700000000100-42')]),
    ).toEqual(expectedPosition);
  });

  it('refuses a reply of another shape', () => {
    expect(() => readTimedPosition(['1700000000', '1'])).toThrow(/position script/);
    expect(() => readTimedPosition(['x', '1', '0-0'])).toThrow(/position script/);
    expect(() => readTimedPosition('OK')).toThrow(/position script/);
  });
});

describe('isNoSuchKey', () => {
  it('knows Redis saying the stream does not exist, in either case', () => {
    expect(isNoSuchKey(new Error('ERR no such key'))).toBe(true);
    expect(isNoSuchKey(new Error('ERR No Such Key'))).toBe(true);
    expect(isNoSuchKey(new Error('WRONGTYPE Operation against a key'))).toBe(false);
    expect(isNoSuchKey('ERR no such key')).toBe(false);
  });
});

describe('isErrorReply', () => {
  it('is false for what is not an Error, or an error of lower-case text', () => {
    expect(isErrorReply('ERR wrong number of arguments')).toBe(false);
    expect(isErrorReply(new Error('Err lowercase'))).toBe(false);
    expect(isErrorReply(new Error('E'))).toBe(false);
  });

  it.each([
    'ERR Invalid stream ID specified as stream command argument',
    'WRONGTYPE Operation against a key holding the wrong kind of value',
    'NOSCRIPT No matching script. Please use EVAL.',
    'OOM command not allowed when used memory > maxmemory.',
    'BUSY Redis is busy running a script.',
  ])('knows a reply from Redis: %s', (message) => {
    expect(isErrorReply(new Error(message))).toBe(true);
  });

  it.each([
    'Connection is closed.',
    'Command aborted due to connection close',
    'Socket closed unexpectedly',
    'The client is closed',
    'Command timed out',
    'connect ECONNREFUSED 127.0.0.1:6379',
    "Stream isn't writeable and enableOfflineQueue options is false",
  ])('knows a failure that leaves the outcome unknown: %s', (message) => {
    expect(isErrorReply(new Error(message))).toBe(false);
  });
});
