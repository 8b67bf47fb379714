/**
 * The Redis Streams commands the broker sends, built as raw arguments so that every client library
 * sends exactly the same thing, and their replies read into one shape.
 */
import type { RedisConnection } from './connection/connection.js';
import {
  isNoSuchKey,
  MISSING_STREAM,
  readEntries,
  readStreamState,
  readXreadStreams,
  type StreamEntry,
  type StreamState,
} from './replies.js';

/** `XRANGE key start end COUNT count`: ids inclusive unless prefixed with `(`. */
export async function readRange(
  connection: RedisConnection,
  key: string,
  start: string,
  end: string,
  count: number,
): Promise<StreamEntry[]> {
  return readEntries(await connection.command(['XRANGE', key, start, end, 'COUNT', String(count)]));
}

/**
 * The last id the stream ever gave (the newest entry's, as the broker appends; `0-0` for a stream
 * never written): the position after which every entry is still to come. One command, so that
 * an entry appended meanwhile cannot fall between two reads and be skipped.
 */
export async function readPosition(connection: RedisConnection, key: string): Promise<string> {
  return (await readState(connection, key)).lastGeneratedId;
}

/**
 * `XREAD COUNT count [BLOCK blockMs] STREAMS key... afterId...`: the entries after each stream's
 * id, by key, waiting up to `blockMs` for the first one on any of them (not at all without it).
 * Resolves to no entries when there were none.
 */
export async function readAfter(
  connection: RedisConnection,
  streams: ReadonlyArray<readonly [key: string, afterId: string]>,
  count: number,
  blockMs: number | undefined,
): Promise<Map<string, StreamEntry[]>> {
  const block = blockMs === undefined ? [] : ['BLOCK', String(blockMs)];
  const keys = streams.map(([key]) => key);
  const ids = streams.map(([, afterId]) => afterId);
  return readXreadStreams(
    await connection.command([
      'XREAD',
      'COUNT',
      String(count),
      ...block,
      'STREAMS',
      ...keys,
      ...ids,
    ]),
  );
}

/** `XINFO STREAM key`, reduced to what the broker needs; a missing key reads as never written. */
export async function readState(connection: RedisConnection, key: string): Promise<StreamState> {
  try {
    return readStreamState(await connection.command(['XINFO', 'STREAM', key]));
  } catch (error) {
    if (isNoSuchKey(error)) return MISSING_STREAM;
    throw error;
  }
}
