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
  readXreadEntries,
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
 * The id of the newest entry, or when the stream is empty the last id it ever gave (`0-0` for a
 * stream never written): the position after which every entry is still to come.
 */
export async function readPosition(connection: RedisConnection, key: string): Promise<string> {
  const newest = readEntries(
    await connection.command(['XREVRANGE', key, '+', '-', 'COUNT', '1']),
  )[0];
  return newest?.id ?? (await readState(connection, key)).lastGeneratedId;
}

/**
 * `XREAD COUNT count [BLOCK blockMs] STREAMS key afterId`: the entries after `afterId`, waiting up
 * to `blockMs` for the first one (not at all without it). Resolves to none when there were none.
 */
export async function readAfter(
  connection: RedisConnection,
  key: string,
  afterId: string,
  count: number,
  blockMs: number | undefined,
): Promise<StreamEntry[]> {
  const block = blockMs === undefined ? [] : ['BLOCK', String(blockMs)];
  return readXreadEntries(
    await connection.command(['XREAD', 'COUNT', String(count), ...block, 'STREAMS', key, afterId]),
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
