/**
 * `redisBroker`: the hub's {@link Broker} on Redis streams shared by every instance, one stream
 * per partition (one by default). Publish is one atomic append, stored exactly once; each
 * instance reads the partitions its subscribers need with one blocking loop and hands entries to
 * its local subscribers; replay reads the client's partition from its id, on any instance. The
 * broker sends its commands on two connections of its own, duplicated from the client: one for
 * publish and replay, one for the blocking read.
 */

import { SsekitError } from '@ssekit/core';
import {
  type Broker,
  type BrokerListener,
  checkKnownKeys,
  isHubId,
  optionalFunction,
  type PublishedEntry,
  positiveInteger,
  type ReplayPage,
} from '@ssekit/core/broker';
import { AppendBatches } from './append-batches.js';
import type { Retention } from './append-script.js';
import { readPosition } from './commands.js';
import type { RedisConnection } from './connection/connection.js';
import { FirstConnection } from './connection/first-connection.js';
import { type RedisClientLike, toConnection } from './connection/to-connection.js';
import { isReadablePosition } from './counted-ids.js';
import { toFields, toHubEntry } from './entry-fields.js';
import { errorText } from './error-text.js';
import { OutageReporter } from './outage-reporter.js';
import { fromClientId, MAX_PARTITIONS, toClientId } from './partition-ids.js';
import { type PartitionLayout, partitionLayout } from './partitions.js';
import { publishOnce } from './publish.js';
import { ReadLoop } from './read-loop.js';
import { replayAfter } from './replay.js';

/** Options of {@link redisBroker}. Only `client` is required. */
export interface RedisBrokerOptions {
  /**
   * A node-redis v5 or v6 client (`createClient()` from `redis`) or ioredis v5 or v6 client
   * (`new Redis()`), connected, connecting or not yet connected. The broker duplicates it for the
   * two connections it owns (publish and replay; the read loop) and never closes it. It listens
   * to its `error` event (so a Redis outage cannot crash the process) until the broker closes.
   */
  client: RedisClientLike;
  /**
   * Creates the dedicated connection of the blocking read loop. The broker owns it and closes it.
   * Default: `client.duplicate()`, same server and settings.
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
  /** The most entries one read of the live loop returns (a read also stops at about 1 MiB). Default 1000. */
  batchSize?: number;
  /** How long one read of the live loop waits for entries, in milliseconds. Default 5000. */
  blockMs?: number;
  /**
   * The most entries read per replay page (all topics, before filtering); a page also stops at
   * about 64 KiB of entries, so a client that does not read holds little. Default 500.
   */
  pageSize?: number;
  /**
   * Receives the first error of each Redis outage (and invalid replies). Default `console.error`.
   * Publishing errors are not reported here: `publish` rejects with them.
   */
  onError?: (error: Error) => void;
}

/** A `Broker` (from `@ssekit/core/broker`) on Redis Streams, with `ready()` to wait for its read loop to start. */
export interface RedisBroker extends Broker {
  /** Resolves once the read loop knows its position, so that `cursor()` is defined. */
  ready(): Promise<void>;
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
/** How long a replay asked for before the read loop's first read waits for it. */
const START_WAIT_MS = 10_000;
const DEFAULT_MAX_EVENTS = 10_000;

/**
 * Creates a broker on the Redis stream `key`, for `createHub({ broker })`. Every instance
 * created with the same key shares the same events, ids and history.
 * @throws {TypeError} when `client` is not a supported client or an option is out of range.
 */
export function redisBroker(options: RedisBrokerOptions): RedisBroker {
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
    throw Object.assign(
      new TypeError(
        `ssekit/redis: "partitions" must be at most ${MAX_PARTITIONS}, got ${partitions}.`,
      ),
      { code: 'ERR_SSE_INVALID_OPTION' },
    );
  }
  const maxAgeMs = positiveInteger('maxAgeMs', options.maxAgeMs, owner);
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
  // Every option is checked before the read connection exists: a TypeError leaves nothing open.
  const reader =
    createReader === undefined
      ? client.duplicate()
      : toConnection(createReader(), 'createReader()');
  const layout = partitionLayout(key, partitions);
  return new RedisStreamBroker(client, client.duplicate(), reader, layout, retention, tuning);
}

interface Tuning {
  batchSize: number;
  blockMs: number;
  pageSize: number;
  onError: (error: Error) => void;
}

class RedisStreamBroker implements RedisBroker {
  /** The broker's own connection for publish and replay. */
  readonly #connection: RedisConnection;
  readonly #connected: FirstConnection;
  readonly #stop = new AbortController();
  /** Publishes sent and not yet settled: close() lets them settle before closing the connection. */
  readonly #publishing = new Set<Promise<string>>();
  readonly #layout: PartitionLayout;
  readonly #partitions: number;
  /** Per partition, how many of its topics have local subscribers. */
  readonly #interested: number[];
  readonly #batches: AppendBatches;
  readonly #pageSize: number;
  readonly #loop: ReadLoop;
  readonly #unwatch: Array<() => void>;
  #listeners: BrokerListener[] = [];
  #closing: Promise<void> | undefined;

  constructor(
    client: RedisConnection,
    connection: RedisConnection,
    reader: RedisConnection,
    layout: PartitionLayout,
    retention: Retention,
    tuning: Tuning,
  ) {
    this.#connection = connection;
    this.#layout = layout;
    this.#partitions = layout.keys.length;
    this.#interested = layout.keys.map(() => 0);
    const key = layout.key;
    this.#batches = new AppendBatches(connection, retention);
    this.#pageSize = tuning.pageSize;
    const reporter = new OutageReporter(tuning.onError);
    this.#unwatch = [client, connection].map((watched) =>
      watched.onError((error) => reporter.failed(error, 'the Redis connection failed')),
    );
    this.#connected = new FirstConnection(connection, key, this.#stop.signal);
    this.#loop = new ReadLoop({
      reader,
      readStart: (partition) => this.#readStart(partition),
      keys: layout.keys,
      readsAll: this.#partitions === 1,
      batchSize: tuning.batchSize,
      blockMs: tuning.blockMs,
      reporter,
      unblock: (clientId) => {
        connection.command(['CLIENT', 'UNBLOCK', clientId]).catch(() => {});
      },
      deliver: (partition, raw) => {
        const entry = toHubEntry(raw, toClientId(this.#partitions, partition, raw.id));
        if (entry === undefined) return;
        for (const listener of this.#listeners) listener.entry(entry);
      },
      lost: () => {
        for (const listener of this.#listeners) listener.reset();
      },
    });
  }

  async publish(entry: PublishedEntry): Promise<string> {
    if (this.#closing !== undefined) {
      throw new SsekitError(
        'ERR_SSE_BROKER_CLOSED',
        'ssekit/redis: the broker is closed; publish before hub.close().',
      );
    }
    await this.#connected.ready('publish');
    const partition = this.#layout.partitionOf(entry.topic);
    const publishing = publishOnce({
      connection: this.#connection,
      batches: this.#batches,
      key: this.#layout.keys[partition] as string,
      fields: toFields(entry),
      signal: this.#stop.signal,
    });
    this.#publishing.add(publishing);
    try {
      return toClientId(this.#partitions, partition, await publishing);
    } finally {
      this.#publishing.delete(publishing);
    }
  }

  /**
   * The position of a partition its first local subscriber starts from, read on the broker's
   * connection: sent before any publish asked for after the subscriber came, it sees none of them.
   */
  async #readStart(partition: number): Promise<string | undefined> {
    try {
      await this.#connected.ready('replay');
      return await readPosition(this.#connection, this.#layout.keys[partition] as string);
    } catch {
      return undefined;
    }
  }

  interest(topic: string, subscribed: boolean): void {
    const partition = this.#layout.partitionOf(topic);
    const before = this.#interested[partition] as number;
    const after = Math.max(0, before + (subscribed ? 1 : -1));
    this.#interested[partition] = after;
    if ((before === 0) !== (after === 0)) this.#loop.want(partition, after > 0);
  }

  subscribe(listener: BrokerListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((other) => other !== listener);
    };
  }

  /**
   * A client's id names its partition: its topics must all be there, under the same partition
   * count, or nothing could be replayed without a gap. Anything else is a reset.
   */
  replay(afterId: string, topics: ReadonlySet<string>): AsyncIterable<ReplayPage> {
    if (!isHubId(afterId)) return single('reset');
    const { partitions, partition, streamId } = fromClientId(afterId);
    if (
      partitions !== this.#partitions ||
      (partitions > 1 && this.#partitionOf(topics) !== partition) ||
      !isReadablePosition(streamId)
    ) {
      return single('reset');
    }
    return this.#replayConnected(partition, streamId, topics);
  }

  /**
   * Waits for the broker's connection if it is still being made; fails at once if Redis is down.
   * A replay cut short by close() (which closes its connection) ends quietly: its stream closes.
   */
  async *#replayConnected(
    partition: number,
    afterId: string,
    topics: ReadonlySet<string>,
  ): AsyncIterable<ReplayPage> {
    let asked = false;
    try {
      await this.#connected.ready('replay');
      asked = true;
      if (this.#loop.reads(partition)) await this.#untilReadLoopStarted(partition);
      yield* replayAfter({
        connection: this.#connection,
        key: this.#layout.keys[partition] as string,
        afterId,
        topics,
        // A partition the loop does not read has no live delivery to meet: replay to its end.
        until: this.#loop.cursor(partition),
        clientId: (streamId) => toClientId(this.#partitions, partition, streamId),
        pageSize: this.#pageSize,
      });
    } catch (error) {
      if (this.#stop.signal.aborted) return;
      // Refused before asking Redis anything: the error already says so.
      if (!asked || (error instanceof SsekitError && error.code === 'ERR_SSE_REPLAY_UNAVAILABLE')) {
        throw error;
      }
      throw new SsekitError(
        'ERR_SSE_BROKER_UNAVAILABLE',
        `ssekit/redis: the replay on "${this.#layout.keys[partition]}" stopped: Redis failed (${errorText(error)}). ` +
          "The client's stream was closed; it reconnects and resumes from its last id.",
        { cause: error },
      );
    }
  }

  /**
   * Before the read loop knows the partition's position, a replay could not tell where live
   * delivery will start: events published meanwhile would be in neither. It waits for the
   * position instead.
   */
  async #untilReadLoopStarted(partition: number): Promise<void> {
    if (!(await this.#loop.started(partition, START_WAIT_MS))) {
      throw new SsekitError(
        'ERR_SSE_REPLAY_UNAVAILABLE',
        `ssekit/redis: cannot replay on "${this.#layout.keys[partition]}": the read loop has not ` +
          `reached Redis within ${START_WAIT_MS} ms of the client asking. Nothing was replayed; ` +
          'the client reconnects and resumes once Redis answers.',
      );
    }
  }

  /**
   * With one partition, the position of every subscriber. With more, the position in the one
   * partition of `topics`; `undefined` when they span several (no single id can say where such a
   * client is) or the partition is not read yet.
   */
  cursor(topics?: ReadonlySet<string>): string | undefined {
    const partition = this.#partitions === 1 ? 0 : this.#partitionOf(topics);
    if (partition === undefined) return undefined;
    const cursor = this.#loop.cursor(partition);
    return cursor === undefined ? undefined : toClientId(this.#partitions, partition, cursor);
  }

  /** The one partition of all `topics`; `undefined` when none are given or they span several. */
  #partitionOf(topics: ReadonlySet<string> | undefined): number | undefined {
    let partition: number | undefined;
    for (const topic of topics ?? []) {
      const its = this.#layout.partitionOf(topic);
      if (partition !== undefined && its !== partition) return undefined;
      partition = its;
    }
    return partition;
  }

  async ready(): Promise<void> {
    await this.#loop.started();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#publishing]);
    this.#connection.destroy();
    await this.#loop.close();
    for (const unwatch of this.#unwatch) unwatch();
    this.#listeners = [];
  }
}

async function* single(page: ReplayPage): AsyncIterable<ReplayPage> {
  yield page;
}

function checkKey(key: unknown): string {
  if (key === undefined) return DEFAULT_KEY;
  if (typeof key !== 'string' || key === '') {
    throw Object.assign(
      new TypeError(
        `ssekit/redis: "key" must be a non-empty string like 'ssekit:chat', got ${describe(key)}.`,
      ),
      { code: 'ERR_SSE_INVALID_OPTION' },
    );
  }
  return key;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `"${value}"`;
  return typeof value === 'number' ? String(value) : typeof value;
}
