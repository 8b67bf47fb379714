/**
 * `redisBroker`: the hub's {@link Broker} on Redis streams shared by every instance, one stream
 * per partition (one by default). Publish is one atomic append, stored exactly once; each
 * instance reads the partitions its subscribers need with one blocking loop and hands entries to
 * its local subscribers; replay reads the client's partition from its id, on any instance. The
 * broker sends its commands on two connections of its own, duplicated from the client: one for
 * publish and replay, one for the blocking read.
 */

import { SsekitError } from '@ssekit/core';
import type {
  Broker,
  BrokerListener,
  HubEntry,
  PublishedEntry,
  ReplayPage,
} from '@ssekit/core/broker';
import { AppendBatches } from './append-batches.js';
import type { Retention } from './append-script.js';
import { checkBrokerOptions, type RedisBrokerOptions, type Tuning } from './broker-options.js';
import { BrokerPublisher } from './broker-publisher.js';
import { type BrokerReplayContext, replayPartition, single } from './broker-replay.js';
import { partitionOfTopics, resumePosition } from './client-positions.js';
import type { RedisConnection } from './connection/connection.js';
import { FirstConnection } from './connection/first-connection.js';
import { retire } from './connection/retire.js';
import { toReaderConnection } from './connection/to-connection.js';
import { toHubEntry } from './entry-fields.js';
import { readSnapshot } from './latest-hash.js';
import { OutageReporter } from './outage-reporter.js';
import { toClientId } from './partition-ids.js';
import { type LiveReading, PartitionReadLoops } from './partition-read-loops.js';
import { type PartitionLayout, partitionLayout } from './partitions.js';
import { ReadLoop } from './read-loop.js';
import type { StreamEntry } from './replies.js';
import { positionSince } from './start-position.js';

export type { RedisBrokerOptions } from './broker-options.js';

/** A `Broker` (from `@ssekit/core/broker`) on Redis Streams, with `ready()` to wait for its read loop to start. */
export interface RedisBroker extends Broker {
  /** Resolves once the read loop knows its position, so that `cursor()` is defined. */
  ready(): Promise<void>;
}

/**
 * Creates a broker on the Redis stream `key`, for `createHub({ broker })`. Every instance
 * created with the same key shares the same events, ids and history.
 * @throws {TypeError} when `client` is not a supported client or an option is out of range.
 */
export function redisBroker(options: RedisBrokerOptions): RedisBroker {
  const { client, key, partitions, retention, tuning, createReader } = checkBrokerOptions(options);
  // Every option is checked before a read connection exists: a TypeError leaves nothing open.
  const connection = client.duplicate();
  // On a cluster, a reader duplicated from the broker's connection opens only the node
  // connection it reads from (see the cluster connections).
  const from = client.isCluster === true ? connection : client;
  const newReader = () =>
    createReader === undefined
      ? from.duplicate()
      : toReaderConnection(createReader(), tuning.blockMs);
  const layout = partitionLayout(key, partitions);
  return new RedisStreamBroker(client, connection, newReader, layout, retention, tuning);
}

class RedisStreamBroker implements RedisBroker {
  /** The broker's own connection for publish and replay. */
  readonly #connection: RedisConnection;
  readonly #connected: FirstConnection;
  readonly #stop = new AbortController();
  /** close() lets its publishes settle before closing the connection. */
  readonly #publisher: BrokerPublisher;
  readonly #layout: PartitionLayout;
  readonly #partitions: number;
  /** Per partition, how many of its topics have local subscribers. */
  readonly #interested: number[];
  readonly #loop: LiveReading;
  readonly #replayContext: BrokerReplayContext;
  readonly #unwatchClient: () => void;
  readonly #unwatchConnection: () => void;
  #listeners: BrokerListener[] = [];
  #closing: Promise<void> | undefined;

  constructor(
    client: RedisConnection,
    connection: RedisConnection,
    newReader: () => RedisConnection,
    layout: PartitionLayout,
    retention: Retention,
    tuning: Tuning,
  ) {
    this.#connection = connection;
    this.#layout = layout;
    this.#partitions = layout.keys.length;
    this.#interested = layout.keys.map(() => 0);
    const key = layout.key;
    const reporter = new OutageReporter(tuning.onError);
    const watch = (watched: RedisConnection) =>
      watched.onError((error) => reporter.failed(error, 'the Redis connection failed'));
    this.#unwatchClient = watch(client);
    this.#unwatchConnection = watch(connection);
    // A createReader that throws (or returns no client) leaves nothing open or listened to.
    try {
      this.#connected = new FirstConnection(connection, key, this.#stop.signal);
      this.#publisher = new BrokerPublisher(
        connection,
        this.#connected,
        new AppendBatches(connection, retention),
        layout,
        this.#stop.signal,
      );
      const deliver = (partition: number, raw: StreamEntry) => {
        const entry = toHubEntry(raw, toClientId(this.#partitions, partition, raw.id));
        if (entry === undefined) return;
        for (const listener of this.#listeners) listener.entry(entry);
      };
      const lost = () => {
        for (const listener of this.#listeners) listener.reset();
      };
      const reading = {
        readStart: (partition: number, since: number) => this.#readStart(partition, since),
        keys: layout.keys,
        batchSize: tuning.batchSize,
        blockMs: tuning.blockMs,
        reporter,
        deliver,
        lost,
      };
      // On a cluster, partitions are in different slots: no one read can cover them.
      this.#loop =
        client.isCluster === true && this.#partitions > 1
          ? new PartitionReadLoops({
              ...reading,
              createReader: newReader,
              connected: () =>
                this.#connected.ready('replay').then(
                  () => true,
                  () => false,
                ),
            })
          : new ReadLoop({
              ...reading,
              createReader: newReader,
              readsAll: this.#partitions === 1,
              unblock: (clientId) => {
                connection.command(['CLIENT', 'UNBLOCK', clientId]).catch(() => {});
              },
            });
      this.#replayContext = {
        connection,
        connected: this.#connected,
        layout,
        loop: this.#loop,
        signal: this.#stop.signal,
        pageSize: tuning.pageSize,
      };
    } catch (error) {
      this.#unwatchClient();
      retire(connection, this.#unwatchConnection);
      throw error;
    }
  }

  // Not async: an async function returning the publisher's promise would add a promise and two
  // turns of the microtask queue to every publish.
  publish(entry: PublishedEntry): Promise<string> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new SsekitError(
          'ERR_SSE_BROKER_CLOSED',
          'ssekit/redis: the broker is closed; publish before hub.close().',
        ),
      );
    }
    return this.#publisher.publish(entry);
  }

  /**
   * Where a partition's first local subscriber, come at `since`, starts, read on the broker's
   * connection while the read loop's connection still waits.
   */
  async #readStart(partition: number, since: number): Promise<string | undefined> {
    try {
      await this.#connected.ready('replay');
      return await positionSince(this.#connection, this.#layout.keys[partition] as string, since);
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

  /** From the hashes of latest values beside the streams (`latest-hash.ts`). */
  async snapshot(
    topics: ReadonlySet<string>,
    afterId: string | undefined,
  ): Promise<readonly HubEntry[]> {
    await this.#connected.ready('replay');
    return readSnapshot(this.#connection, this.#layout, topics, afterId);
  }

  /** A client that cannot resume without a gap (see `resumePosition`) is reset. */
  replay(afterId: string, topics: ReadonlySet<string>): AsyncIterable<ReplayPage> {
    const resume = resumePosition(this.#layout, afterId, topics);
    if (resume === undefined) return single('reset');
    return replayPartition(this.#replayContext, resume.partition, resume.streamId, topics);
  }

  /**
   * With one partition, the position of every subscriber. With more, the position in the one
   * partition of `topics`; `undefined` when they span several (no single id can say where such a
   * client is) or the partition is not read yet.
   */
  cursor(topics?: ReadonlySet<string>): string | undefined {
    const partition = this.#partitions === 1 ? 0 : partitionOfTopics(this.#layout, topics);
    if (partition === undefined) return undefined;
    const cursor = this.#loop.cursor(partition);
    return cursor === undefined ? undefined : toClientId(this.#partitions, partition, cursor);
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
    await this.#publisher.settled();
    retire(this.#connection, this.#unwatchConnection);
    await this.#loop.close();
    this.#unwatchClient();
    this.#listeners = [];
  }
}
