/**
 * Live reading on a Redis Cluster: one read loop per partition read, each on a connection of its
 * own. A cluster refuses a command whose keys are in different hash slots (`CROSSSLOT`), even on
 * one node, and every partition key has a slot of its own, so the one multi-key `XREAD` of a single
 * node cannot be had, nor one per node. A loop per partition is what remains: a partition starts
 * being read when its first local subscriber comes (from its position at that moment, read on the
 * broker's connection, as `ReadLoop` does) and its loop and connection are closed when its last
 * one leaves. So an instance holds at most one read connection per partition it has subscribers
 * on, never more than `partitions`. The cluster client of each loop follows the partition's slot
 * when it moves (`MOVED`, `ASK`) or its master fails over; a blocking read the move interrupts
 * fails, and the loop reads again from its cursor.
 */
import type { RedisConnection } from './connection/connection.js';
import type { OutageReporter } from './outage-reporter.js';
import { ReadLoop } from './read-loop.js';
import type { StreamEntry } from './replies.js';

/** What the broker asks of its live reading, whichever way it is done. */
export type LiveReading = Pick<ReadLoop, 'cursor' | 'reads' | 'want' | 'started' | 'close'>;

/** What the loops need; each reader `createReader` returns is owned by its loop. */
export interface PartitionReadLoopsOptions {
  createReader(): RedisConnection;
  /**
   * Resolves once the broker's connection is made (to `false` when it failed): read starts are
   * sent on it, so before then a subscriber could miss what is published while it connects.
   */
  connected(): Promise<boolean>;
  readStart(partition: number, since: number): Promise<string | undefined>;
  keys: readonly string[];
  batchSize: number;
  blockMs: number;
  reporter: OutageReporter;
  deliver(partition: number, entry: StreamEntry): void;
  lost(): void;
}

export class PartitionReadLoops implements LiveReading {
  readonly #options: PartitionReadLoopsOptions;
  readonly #loops = new Map<number, ReadLoop>();
  /** Loops of partitions no longer wanted, closing. */
  readonly #closing = new Set<Promise<void>>();
  #closed = false;

  constructor(options: PartitionReadLoopsOptions) {
    this.#options = options;
  }

  cursor(partition: number): string | undefined {
    return this.#loops.get(partition)?.cursor(0);
  }

  reads(partition: number): boolean {
    return this.#loops.has(partition);
  }

  want(partition: number, wanted: boolean): void {
    const loop = this.#loops.get(partition);
    if (!wanted) {
      if (loop === undefined) return;
      this.#loops.delete(partition);
      const closing = loop.close();
      this.#closing.add(closing);
      void closing.finally(() => this.#closing.delete(closing));
      return;
    }
    if (loop !== undefined || this.#closed) return;
    const options = this.#options;
    const started = new ReadLoop({
      createReader: options.createReader,
      readStart: (_only, since) => options.readStart(partition, since),
      keys: [options.keys[partition] as string],
      readsAll: false,
      batchSize: options.batchSize,
      blockMs: options.blockMs,
      reporter: options.reporter,
      deliver: (_only, entry) => options.deliver(partition, entry),
      lost: options.lost,
    });
    started.want(0, true);
    this.#loops.set(partition, started);
  }

  /**
   * With `partition`, as `ReadLoop.started`. Without, there is no first read to wait for: once the
   * broker's connection is made, a partition wanted is read from the moment it is wanted.
   */
  async started(partition?: number, timeoutMs?: number): Promise<boolean> {
    if (partition === undefined) return this.#options.connected();
    const loop = this.#loops.get(partition);
    return loop === undefined ? false : loop.started(0, timeoutMs);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const loops = [...this.#loops.values()];
    this.#loops.clear();
    await Promise.all([...loops.map((loop) => loop.close()), ...this.#closing]);
  }
}
