/**
 * The options of `redisBroker`: what each one means, and checking them all before the broker opens
 * anything, so that a misspelt or out-of-range option is a TypeError that leaves nothing open.
 */

import { checkKnownKeys, optionalFunction, positiveInteger } from '@ssekit/core/broker';
import type { Retention } from './append-script.js';
import type { RedisConnection } from './connection/connection.js';
import { type RedisClientLike, toConnection } from './connection/to-connection.js';
import { invalidOption } from './invalid-option.js';
import { MAX_PARTITIONS } from './partition-ids.js';
import { hashTag, partitionLayout } from './partitions.js';

/** Options of `redisBroker`. Only `client` is required. */
export interface RedisBrokerOptions {
  /**
   * A node-redis v5 or v6 client (`createClient()` from `redis`) or ioredis v5 or v6 client
   * (`new Redis()`, also with `sentinels`), connected, connecting or not yet connected; not
   * node-redis's `createSentinel()` (a `TypeError`). The broker duplicates it for the two
   * connections it owns (publish and replay; the read loop) and never closes it. It listens to its
   * `error` event (so a Redis outage cannot crash the process) until the broker closes.
   */
  client: RedisClientLike;
  /**
   * Creates the dedicated connection of the blocking read loop. The broker owns it and closes it,
   * and calls this again to replace one whose read hangs. Default: `client.duplicate()`, same
   * server and settings.
   */
  createReader?: () => RedisClientLike;
  /** The stream's key; one stream per hub (and partition). Default `'ssekit:events'`. */
  key?: string;
  /**
   * How many streams the hub's topics are spread over, 1 to 999. Each topic belongs to one, by a
   * stable hash of its hash tag (`user:{42}:inbox`) or of the whole topic, and an instance reads
   * only the partitions its subscribers need. Default 1: one stream, `key` itself, which every
   * instance reads. Changing it later resets clients that resume with an id from before.
   */
  partitions?: number;
  /** Keep about this many entries (all topics together), trimmed with `MAXLEN ~`. Default 10000 unless `maxAgeMs` is set. */
  maxEvents?: number;
  /** Trim entries older than this many milliseconds (Redis's clock), with `MINID ~` on each publish. Default: none. */
  maxAgeMs?: number;
  /** The most entries one read of the live loop takes per partition (reads ask for about 1 MiB of entries the size of the largest read lately). Default 1000. */
  batchSize?: number;
  /** How long one read of the live loop waits for entries, in milliseconds. Default 5000. */
  blockMs?: number;
  /**
   * The most entries read per replay page (all topics, before filtering); a page also stops at
   * 64 KiB of entries (or one larger entry), so a client that does not read holds little.
   * Default 500.
   */
  pageSize?: number;
  /**
   * Receives the first error of each Redis outage (and invalid replies). Default `console.error`.
   * Publishing errors are not reported here: `publish` rejects with them.
   */
  onError?: (error: Error) => void;
}

/** Every key of {@link RedisBrokerOptions}: any other is a misspelling and throws. */
const REDIS_BROKER_OPTION_KEYS: readonly (keyof RedisBrokerOptions)[] = [
  'client',
  'createReader',
  'key',
  'partitions',
  'maxEvents',
  'maxAgeMs',
  'batchSize',
  'blockMs',
  'pageSize',
  'onError',
];
const DEFAULT_KEY = 'ssekit:events';
const DEFAULT_MAX_EVENTS = 10_000;
/** The longest `maxAgeMs`: ten years. */
const MAX_AGE_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** How the broker reads: the live loop's reads, replay pages, and where outages are reported. */
export interface Tuning {
  batchSize: number;
  blockMs: number;
  pageSize: number;
  onError: (error: Error) => void;
}

/** The options, checked, with their defaults filled in. */
export interface CheckedOptions {
  client: RedisConnection;
  key: string;
  partitions: number;
  retention: Retention;
  tuning: Tuning;
  createReader: (() => RedisClientLike) | undefined;
}

/**
 * Checks every option of `redisBroker` and fills in the defaults.
 * @throws {TypeError} when `client` is not a supported client or an option is out of range.
 */
export function checkBrokerOptions(options: RedisBrokerOptions): CheckedOptions {
  if (options === null || typeof options !== 'object') {
    throw Object.assign(
      new TypeError('ssekit/redis: redisBroker takes options like { client, key }.'),
      { code: 'ERR_SSE_INVALID_ARGUMENT' },
    );
  }
  checkKnownKeys('redisBroker', options, REDIS_BROKER_OPTION_KEYS);
  const client = toConnection(options.client, 'client');
  const key = checkKey(options.key);
  const owner = { owner: 'redisBroker' };
  const partitions = positiveInteger('partitions', options.partitions, { ...owner, fallback: 1 });
  if (partitions > MAX_PARTITIONS) {
    throw invalidOption(
      `ssekit/redis: "partitions" must be at most ${MAX_PARTITIONS}, got ${partitions}.`,
    );
  }
  if (client.isCluster === true) checkClusterKey(key, partitions);
  const maxAgeMs = positiveInteger('maxAgeMs', options.maxAgeMs, owner);
  // Past Redis's clock, the trim's oldest id would be negative: every publish would fail after
  // storing its entries. History kept for good is maxEvents alone.
  if (maxAgeMs !== undefined && maxAgeMs > MAX_AGE_MS) {
    throw invalidOption(
      `ssekit/redis: "maxAgeMs" must be at most ${MAX_AGE_MS} (ten years), got ${maxAgeMs}; to keep history by count alone, set maxEvents and leave maxAgeMs out.`,
    );
  }
  const retention: Retention = {
    maxEvents:
      positiveInteger('maxEvents', options.maxEvents, owner) ??
      (maxAgeMs === undefined ? DEFAULT_MAX_EVENTS : undefined),
    maxAgeMs,
  };
  const tuning: Tuning = {
    batchSize: positiveInteger('batchSize', options.batchSize, { ...owner, fallback: 1000 }),
    blockMs: positiveInteger('blockMs', options.blockMs, { ...owner, fallback: 5000 }),
    pageSize: positiveInteger('pageSize', options.pageSize, { ...owner, fallback: 500 }),
    onError:
      optionalFunction('redisBroker', 'onError', options.onError, '(error) => void') ??
      console.error,
  };
  const createReader = optionalFunction(
    'redisBroker',
    'createReader',
    options.createReader,
    '() => client',
  );
  return { client, key, partitions, retention, tuning, createReader };
}

/** The stream key, `'ssekit:events'` when omitted. */
function checkKey(key: unknown): string {
  if (key === undefined) return DEFAULT_KEY;
  if (typeof key !== 'string' || key === '') {
    throw invalidOption(
      `ssekit/redis: "key" must be a non-empty string like 'ssekit:chat', got ${describe(key)}.`,
    );
  }
  return key;
}

/**
 * On a cluster, one partition's stream and its publish records (`<key>:publish:...`) must share a
 * hash slot for the append script to touch them together: each partition key needs a hash tag.
 * With one partition that is `key`'s own; with more each partition key gets a tag of its own
 * (see `partitions.ts`), unless `key` opens with empty braces, which make Redis hash whole keys.
 */
function checkClusterKey(key: string, partitions: number): void {
  if (partitions === 1 && hashTag(key) === undefined) {
    throw invalidOption(
      `ssekit/redis: "key" must have a hash tag on a Redis Cluster, like 'ssekit:{events}' ` +
        `(got "${key}"): the stream and the records the append script keeps beside it must ` +
        "share one slot. Put the key's name in braces, or set partitions above 1.",
    );
  }
  if (hashTag(partitionLayout(key, partitions).keys[0] as string) === undefined) {
    throw invalidOption(
      `ssekit/redis: "key" "${key}" has empty braces ("{}") where Redis Cluster looks for its ` +
        'hash tag, so Redis hashes whole keys: a partition and the records beside it would land ' +
        "in different slots (CROSSSLOT). Remove the empty braces, or tag the key like 'ssekit:{events}'.",
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `"${value}"`;
  return typeof value === 'number' ? String(value) : typeof value;
}
