/**
 * The broker's publish path: an entry goes to its topic's partition, sent once (`publish.ts`),
 * and every publish in flight is tracked so that close() can let them settle before it closes
 * the connection they are sent on.
 */

import type { PublishedEntry } from '@ssekit/core/broker';
import type { AppendBatches } from './append-batches.js';
import type { RedisConnection } from './connection/connection.js';
import type { FirstConnection } from './connection/first-connection.js';
import { toFields } from './entry-fields.js';
import { toClientId } from './partition-ids.js';
import type { PartitionLayout } from './partitions.js';
import { publishOnce } from './publish.js';

/** Publishes a broker's entries and knows which are still in flight. */
export class BrokerPublisher {
  readonly #connection: RedisConnection;
  readonly #connected: FirstConnection;
  readonly #batches: AppendBatches;
  readonly #layout: PartitionLayout;
  readonly #signal: AbortSignal;
  /** Publishes sent and not yet settled. */
  readonly #publishing = new Set<Promise<string>>();

  constructor(
    connection: RedisConnection,
    connected: FirstConnection,
    batches: AppendBatches,
    layout: PartitionLayout,
    signal: AbortSignal,
  ) {
    this.#connection = connection;
    this.#connected = connected;
    this.#batches = batches;
    this.#layout = layout;
    this.#signal = signal;
  }

  /** Appends `entry` to its topic's partition; resolves with the id clients see. */
  async publish(entry: PublishedEntry): Promise<string> {
    // When connected, ready() would resolve at once: not awaiting it spares each publish of a
    // burst a promise and a turn of the microtask queue.
    if (!this.#connection.isReady) await this.#connected.ready('publish');
    const partition = this.#layout.partitionOf(entry.topic);
    const publishing = publishOnce({
      connection: this.#connection,
      batches: this.#batches,
      key: this.#layout.keys[partition] as string,
      fields: toFields(entry),
      signal: this.#signal,
    });
    this.#publishing.add(publishing);
    try {
      return toClientId(this.#layout.keys.length, partition, await publishing);
    } finally {
      this.#publishing.delete(publishing);
    }
  }

  /** Resolves once every publish sent so far has settled, whether it succeeded or not. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#publishing]);
  }
}
