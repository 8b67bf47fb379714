/**
 * Reading raw Redis replies. node-redis 5 and 6 and ioredis 5 and 6 hand them over in different
 * shapes (RESP2 arrays, RESP3 maps as `Map`s, plain objects or flat arrays, strings or buffers);
 * everything past this file sees one shape.
 */
import { SsekitError } from '@ssekit/core';

/** One stream entry: its id and its field-value pairs. */
export interface StreamEntry {
  readonly id: string;
  readonly fields: ReadonlyMap<string, string>;
}

/** What `XINFO STREAM` tells about a stream, reduced to what the broker needs. */
export interface StreamState {
  /** The id of the newest entry ever added (`0-0` for a stream never written). */
  readonly lastGeneratedId: string;
}

/** The state of a stream that does not exist (never written, or deleted). */
export const MISSING_STREAM: StreamState = { lastGeneratedId: '0-0' };

const decoder = new TextDecoder();

/** The entries of an `XRANGE` reply (or of one stream in an `XREAD` reply). */
export function readEntries(reply: unknown): StreamEntry[] {
  if (reply === null || reply === undefined) return [];
  return asArray(reply, 'XRANGE').map((raw) => {
    const [id, fields] = asArray(raw, 'stream entry');
    return { id: text(id), fields: readPairs(fields) };
  });
}

/**
 * The entries of an `XREAD` reply, by stream key; empty when it timed out. The reply maps each
 * stream's key to its entries, in one of four shapes: `[[key, entries], ...]` (RESP2), a `Map` or
 * a plain object (RESP3), or the RESP3 map flattened to `[key, entries, ...]` (ioredis 6.0
 * `call()`). Streams without entries may be left out.
 */
export function readXreadStreams(reply: unknown): Map<string, StreamEntry[]> {
  const streams = new Map<string, StreamEntry[]>();
  if (reply === null || reply === undefined) return streams;
  if (Array.isArray(reply)) {
    if (reply.length > 0 && isText(reply[0])) {
      for (let i = 0; i + 1 < reply.length; i += 2) {
        streams.set(text(reply[i]), readEntries(reply[i + 1]));
      }
      return streams;
    }
    for (const stream of reply) {
      const [key, entries] = asArray(stream, 'XREAD');
      streams.set(text(key), readEntries(entries));
    }
    return streams;
  }
  const pairs = reply instanceof Map ? [...reply] : Object.entries(reply as object);
  for (const [key, entries] of pairs) streams.set(text(key), readEntries(entries));
  return streams;
}

/** The state in an `XINFO STREAM` reply. */
export function readStreamState(reply: unknown): StreamState {
  const lastGeneratedId = readPairs(reply).get('last-generated-id');
  if (lastGeneratedId === undefined) {
    throw new SsekitError(
      'ERR_SSE_UNEXPECTED_REPLY',
      'ssekit/redis: unexpected XINFO STREAM reply (no "last-generated-id").',
    );
  }
  return { lastGeneratedId };
}

/** Redis's clock, in milliseconds, and a stream's last id, read together by one script. */
export interface TimedPosition {
  readonly redisMs: number;
  readonly lastId: string;
}

/** The reply of the script that reads `TIME` and the stream's last id: `[seconds, micros, id]`. */
export function readTimedPosition(reply: unknown): TimedPosition {
  const [seconds, micros, lastId] = asArray(reply, 'position script').map(text);
  if (!/^\d+$/.test(seconds ?? '') || !/^\d+$/.test(micros ?? '') || lastId === undefined) {
    throw new SsekitError(
      'ERR_SSE_UNEXPECTED_REPLY',
      'ssekit/redis: unexpected reply from the position script (expected time and an id).',
    );
  }
  return { redisMs: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000), lastId };
}

/** An `HMGET` reply: each field's value as text, `undefined` where there is none. */
export function readTexts(reply: unknown): Array<string | undefined> {
  return asArray(reply, 'HMGET').map((value) => (isText(value) ? text(value) : undefined));
}

/**
 * `true` when Redis answered the command with an error (`ERR ...`, `WRONGTYPE ...`, `NOSCRIPT
 * ...`): the command ran, or was refused, and its reply arrived. Any other failure (the socket
 * closed, a client-side timeout) leaves unknown whether the command ran. Recognised by the reply's
 * own form, an upper-case code first, which both client libraries pass on as the message.
 */
export function isErrorReply(error: unknown): boolean {
  return error instanceof Error && /^[A-Z][A-Z_]+(?: |$)/.test(error.message);
}

/** `true` when the error is Redis saying the key does not exist (XINFO on a missing stream). */
export function isNoSuchKey(error: unknown): boolean {
  return error instanceof Error && /no such key/i.test(error.message);
}

/** Field-value pairs from a flat RESP2 array, a RESP3 map or a plain object. Values become text. */
function readPairs(raw: unknown): Map<string, string> {
  const pairs = new Map<string, string>();
  if (raw instanceof Map) {
    for (const [key, value] of raw) pairs.set(text(key), scalar(value));
  } else if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) pairs.set(text(raw[i]), scalar(raw[i + 1]));
  } else if (typeof raw === 'object' && raw !== null) {
    for (const [key, value] of Object.entries(raw)) pairs.set(key, scalar(value));
  }
  return pairs;
}

/** Nested values (the first and last entries in XINFO) are not needed: they become ''. */
function scalar(value: unknown): string {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array)
    ? ''
    : text(value);
}

function isText(value: unknown): boolean {
  return typeof value === 'string' || value instanceof Uint8Array;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return decoder.decode(value);
  return String(value);
}

function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) {
    throw new SsekitError(
      'ERR_SSE_UNEXPECTED_REPLY',
      `ssekit/redis: unexpected ${what} reply from Redis (not an array).`,
    );
  }
  return value;
}
