/**
 * The command layer against a real Redis, once per client library, major and reply protocol
 * (node-redis 5 and 6 over RESP2 and RESP3, ioredis 5, ioredis 6 over RESP3 with either reply
 * mapping and over RESP2): every client must read back exactly what the others do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendEntries,
  type PublishKey,
  type Retention,
} from '../../packages/redis/src/append-script.js';
import {
  readAfter,
  readPosition,
  readRange,
  readState,
} from '../../packages/redis/src/commands.js';
import type { RedisConnection } from '../../packages/redis/src/connection/connection.js';
import { toConnection } from '../../packages/redis/src/connection/to-connection.js';
import { sleep, until } from '../support/wait.js';
import { type ClientName, clientLibraries, type LibraryOptions } from './support/clients.js';
import { deleteKeysUnder, REDIS_URL, randomPrefix, redisIsAvailable } from './support/redis.js';

const available = await redisIsAvailable('redis connection');
const prefix = randomPrefix();

/** The place of `id` in the stream whose first entry is `first` (1 for `first` itself). */
const nth = (id: string, first: string) =>
  Number(BigInt(id.slice(id.indexOf('-') + 1)) - BigInt(first.slice(first.indexOf('-') + 1))) + 1;

interface Opened {
  connection: RedisConnection;
  close(): Promise<void>;
}

const variants: Record<string, [ClientName, LibraryOptions]> = {
  'node-redis 5 (RESP2)': ['node-redis 5', {}],
  'node-redis 5 (RESP3)': ['node-redis 5', { RESP: 3 }],
  'node-redis 6 (RESP2)': ['node-redis 6', { RESP: 2 }],
  'node-redis 6 (RESP3, its default)': ['node-redis 6', {}],
  'ioredis 5': ['ioredis 5', {}],
  'ioredis 6 (RESP3, legacy replies, its default)': ['ioredis 6', {}],
  'ioredis 6 (RESP3, resp3 replies)': ['ioredis 6', { replyMapping: 'resp3' }],
  'ioredis 6 (RESP2)': ['ioredis 6', { protocol: 2 }],
};

/** Appends one entry alone; resolves to its id, rejects with Redis's refusal. */
async function appendEntry(
  connection: RedisConnection,
  key: string,
  fields: ReadonlyArray<readonly [string, string]>,
  retention: Retention,
  publish: PublishKey,
  resent = false,
): Promise<string> {
  const [outcome] = await appendEntries(connection, key, [{ fields, publish, resent }], retention);
  if (outcome instanceof Error) throw outcome;
  return outcome as string;
}

async function open(variant: string): Promise<Opened> {
  const [name, options] = variants[variant] as [ClientName, LibraryOptions];
  const library = clientLibraries[name];
  const client = await library.connected(REDIS_URL, options);
  return { connection: toConnection(client, 'client'), close: () => library.close(client) };
}

afterAll(async () => {
  if (available) await deleteKeysUnder(prefix);
});

describe.skipIf(!available).each(Object.keys(variants))('command layer over %s', (name) => {
  let opened: Opened;
  let connection: RedisConnection;
  let n = 0;
  const newKey = () => `${prefix}${name.replace(/\W+/g, '-')}:${++n}`;

  beforeAll(async () => {
    opened = await open(name);
    connection = opened.connection;
  });
  afterAll(() => opened?.close());

  it('is ready once connected', () => {
    expect(connection.isReady).toBe(true);
  });

  const keep: Retention = { maxEvents: undefined, maxAgeMs: undefined };
  const once = (): PublishKey => ({ rememberMs: 60_000 });
  const append = (key: string, n: number, retention = keep) =>
    appendEntry(connection, key, [['n', String(n)]], retention, once());

  it('appends entries whose ids count every entry, and reads their fields back verbatim', async () => {
    const key = newKey();
    const tricky = 'line one\nline two\r\n✓ ünïcödé 🎉 "quoted" \u0000 nul';
    const first = await appendEntry(
      connection,
      key,
      [
        ['topic', 'a'],
        ['data', tricky],
      ],
      keep,
      once(),
    );
    const second = await appendEntry(
      connection,
      key,
      [
        ['topic', 'b'],
        ['data', ''],
      ],
      keep,
      once(),
    );
    // A new stream counts from Redis's clock, 1024 a millisecond: its first entry is stamped with
    // the millisecond it counted from.
    const [ms, count] = first.split('-').map(BigInt) as [bigint, bigint];
    expect(count).toBe(ms * 1024n + 1n);
    expect(nth(second, first)).toBe(2);
    const entries = await readRange(connection, key, '-', '+', 10);
    expect(entries.map((entry) => entry.id)).toEqual([first, second]);
    expect(entries[0]?.fields.get('data')).toBe(tricky);
    expect(entries[0]?.fields.get('topic')).toBe('a');
    expect(entries[1]?.fields.get('data')).toBe('');
  });

  it('stores a publish sent again once, returning the first id, and forgets it after a while', async () => {
    const key = newKey();
    const fields = [['n', '1']] as const;
    // Remembered for longer than the test can last (its timeout is 20 s), so that the second
    // send falls inside the memory however slow the machine: what is checked is the memory,
    // not how fast three round trips are (with 200 ms, a loaded machine saw the record gone).
    const resent: PublishKey = { rememberMs: 60_000 };
    const first = await appendEntry(connection, key, fields, keep, resent);
    expect(await appendEntry(connection, key, fields, keep, resent, true)).toBe(first);
    expect(await readRange(connection, key, '-', '+', 10)).toHaveLength(1);
    const ttl = Number(await connection.command(['PTTL', resent.sentIn?.[0]?.record ?? 'none']));
    expect(ttl).toBeGreaterThan(60_000 - 20_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    // A short memory: once Redis has let the record go, the same publish is a new entry.
    const late: PublishKey = { rememberMs: 50 };
    expect(nth(await appendEntry(connection, key, fields, keep, late), first)).toBe(2);
    const record = late.sentIn?.[0]?.record ?? 'none';
    for (;;) {
      if (Number(await connection.command(['EXISTS', record])) === 0) break;
      await sleep(10);
    }
    expect(nth(await appendEntry(connection, key, fields, keep, late, true), first)).toBe(3);
  });

  it('appends a batch in one call, answering each entry: its id, its earlier id, or its refusal', async () => {
    const key = newKey();
    const again = once();
    const outcomes = await appendEntries(
      connection,
      key,
      [
        { fields: [['n', '1']], publish: once() },
        { fields: [['n', '2']], publish: again },
        { fields: [], publish: once() },
        { fields: [['n', '2']], publish: again, resent: true },
        { fields: [['n', '3']], publish: once() },
      ],
      keep,
    );
    const start = outcomes[0] as string;
    expect(outcomes.slice(0, 2).map((id) => nth(id as string, start))).toEqual([1, 2]);
    expect(outcomes[2]).toBeInstanceOf(Error);
    expect((outcomes[2] as Error).message).toMatch(/^ERR Wrong number of args/);
    expect(outcomes[3]).toBe(outcomes[1]);
    expect(nth(outcomes[4] as string, start)).toBe(3);
    const entries = await readRange(connection, key, '-', '+', 10);
    expect(entries.map((entry) => entry.fields.get('n'))).toEqual(['1', '2', '3']);
  });

  it('finds a send made again by its earlier call and place, past refused and earlier entries', async () => {
    const key = newKey();
    const [a, refused, b, c, resentFirst] = [once(), once(), once(), once(), once()];
    const first = await appendEntries(
      connection,
      key,
      [
        { fields: [['n', '1']], publish: a },
        { fields: [], publish: refused },
        { fields: [['n', '2']], publish: b },
        { fields: [['n', '3']], publish: c },
      ],
      keep,
    );
    expect(first[1]).toBeInstanceOf(Error);
    const again = await appendEntries(
      connection,
      key,
      [
        { fields: [['n', '3']], publish: c, resent: true },
        { fields: [['n', 'r']], publish: refused, resent: true },
        { fields: [['n', '2']], publish: b, resent: true },
        { fields: [['n', '4']], publish: resentFirst },
      ],
      keep,
    );
    expect(again).toEqual([first[3], expect.any(String), first[2], expect.any(String)]);
    expect([again[1], again[3]].map((id) => nth(id as string, first[0] as string))).toEqual([4, 5]);
    // A third send names both earlier calls; the second stored nothing of b, the first did.
    const third = await appendEntries(
      connection,
      key,
      [{ fields: [['n', '2']], publish: b, resent: true }],
      keep,
    );
    expect(third).toEqual([first[2]]);
    const entries = await readRange(connection, key, '-', '+', 10);
    expect(entries.map((entry) => entry.fields.get('n'))).toEqual(['1', '2', '3', 'r', '4']);
  });

  it('reads ranges inclusive or exclusive, bounded by COUNT, and the current position', async () => {
    const key = newKey();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await append(key, i));
    const inclusive = await readRange(connection, key, ids[1] as string, '+', 2);
    expect(inclusive.map((entry) => entry.id)).toEqual(ids.slice(1, 3));
    const exclusive = await readRange(connection, key, `(${ids[1]}`, ids[3] as string, 10);
    expect(exclusive.map((entry) => entry.id)).toEqual(ids.slice(2, 4));
    expect(await readPosition(connection, key)).toBe(ids[4]);
    expect(await readPosition(connection, newKey())).toBe('0-0');
    expect(await readRange(connection, newKey(), '-', '+', 10)).toEqual([]);
  });

  it('trims by count with MAXLEN ~, and keeps counting past the trimmed entries', async () => {
    const key = newKey();
    const ids: string[] = [];
    for (let i = 0; i < 300; i++)
      ids.push(await append(key, i, { maxEvents: 10, maxAgeMs: undefined }));
    const remaining = await readRange(connection, key, '-', '+', 1000);
    expect(remaining.length).toBeGreaterThanOrEqual(10);
    expect(remaining.length).toBeLessThan(300);
    expect(remaining.map((entry) => entry.id)).toEqual(ids.slice(300 - remaining.length));
    expect(nth(ids[299] as string, ids[0] as string)).toBe(300);
  });

  it('trims by age with MINID ~, and a stream emptied by it still knows its position', async () => {
    const key = newKey();
    const ids: string[] = [];
    for (let i = 0; i < 150; i++) ids.push(await append(key, i));
    await sleep(30);
    const last = await append(key, 150, { maxEvents: undefined, maxAgeMs: 10 });
    const remaining = await readRange(connection, key, '-', '+', 1000);
    expect(remaining.length).toBeLessThan(151);
    expect(remaining.at(-1)?.id).toBe(last);
    expect(nth(last, ids[0] as string)).toBe(151);
    await connection.command(['XTRIM', key, 'MAXLEN', '0']);
    expect(await readPosition(connection, key)).toBe(last);
    expect(nth(await append(key, 151), ids[0] as string)).toBe(152);
  });

  it('reports the last generated id, and a missing stream as never written', async () => {
    expect(await readState(connection, newKey())).toEqual({ lastGeneratedId: '0-0' });
    const key = newKey();
    const id = await append(key, 0);
    expect(await readState(connection, key)).toEqual({ lastGeneratedId: id });
    expect(Number(await connection.command(['DEL', key]))).toBe(1);
    expect(await readState(connection, key)).toEqual({ lastGeneratedId: '0-0' });
  });

  it('blocks for entries after an id, on a dedicated duplicate connection', async () => {
    const key = newKey();
    const reader = connection.duplicate();
    reader.connect();
    await until(() => reader.isReady, 'the reader to be ready');
    try {
      const before = await append(key, 0);
      expect((await readAfter(reader, [[key, before]], 10, 50)).size).toBe(0);
      const waiting = readAfter(reader, [[key, before]], 10, 5000);
      const added = await append(key, 1);
      const woken = (await waiting).get(key) ?? [];
      expect(woken.map((entry) => entry.id)).toEqual([added]);
      expect(woken[0]?.fields.get('n')).toBe('1');
    } finally {
      reader.destroy();
    }
  });

  it('blocks on several streams at once and answers by key', async () => {
    const [quiet, busy] = [newKey(), newKey()];
    const reader = connection.duplicate();
    reader.connect();
    await until(() => reader.isReady, 'the reader to be ready');
    try {
      const quietAt = await append(quiet, 0);
      const busyAt = await append(busy, 0);
      const waiting = readAfter(
        reader,
        [
          [quiet, quietAt],
          [busy, busyAt],
        ],
        10,
        5000,
      );
      const added = await append(busy, 1);
      const woken = await waiting;
      expect(woken.get(busy)?.map((entry) => entry.id)).toEqual([added]);
      expect(woken.get(quiet) ?? []).toEqual([]);
      const second = await append(quiet, 2);
      const both = await readAfter(
        reader,
        [
          [quiet, quietAt],
          [busy, busyAt],
        ],
        10,
        undefined,
      );
      expect(both.get(quiet)?.map((entry) => entry.id)).toEqual([second]);
      expect(both.get(busy)?.map((entry) => entry.id)).toEqual([added]);
    } finally {
      reader.destroy();
    }
  });

  it('rejects a blocked read at once when its connection is destroyed', async () => {
    const reader = connection.duplicate();
    reader.connect();
    await until(() => reader.isReady, 'the reader to be ready');
    const waiting = readAfter(reader, [[newKey(), '0-0']], 10, 10_000);
    const started = Date.now();
    reader.destroy();
    await expect(waiting).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
