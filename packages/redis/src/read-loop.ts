/**
 * One `XREAD BLOCK` loop per broker, on its own connection, over the partitions it reads: every
 * entry appended to them by any instance is handed on once, in id order within its partition.
 * With one partition the loop reads it always. With more, it reads only the partitions it is
 * asked for (those with local subscribers), all of them in one blocking read; a partition asked
 * for while that read waits ends the wait (`CLIENT UNBLOCK`, sent by the broker), and is read
 * from before every entry appended since the moment it was asked for (`start-position.ts`, asked
 * then, on the broker's other connection). With none asked for, the loop sends nothing.
 *
 * The loop survives Redis outages: it waits for the connection to come back and resumes from its
 * cursors; if entries it never delivered were trimmed meanwhile (their counted ids skip), it
 * moves the cursor and signals the loss.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SsekitError } from '@ssekit/core';
import { readAfter } from './commands.js';
import type { RedisConnection } from './connection/connection.js';
import { retire } from './connection/retire.js';
import { follows, positionBefore } from './counted-ids.js';
import type { OutageReporter } from './outage-reporter.js';
import { HUNG_AFTER_MS, HungReadError, withinDeadline, withReadDeadline } from './read-deadline.js';
import type { StreamEntry } from './replies.js';
import { positionSince } from './start-position.js';

/** What the loop needs. */
export interface ReadLoopOptions {
  /**
   * A dedicated connection, which the loop owns; asked for again when a read on it hangs
   * (`read-deadline.ts`).
   */
  createReader(): RedisConnection;
  /**
   * Reads where a partition wanted at `since` (a `performance.now()`) starts (`positionSince`),
   * on another connection, without waiting for the blocking read to end. `undefined` when it
   * could not: the loop reads it itself, from the same moment.
   */
  readStart(partition: number, since: number): Promise<string | undefined>;
  /** The stream key of each partition. */
  keys: readonly string[];
  /** `true`: every partition is read always; `false`: only those asked for with `want`. */
  readsAll: boolean;
  batchSize: number;
  blockMs: number;
  reporter: OutageReporter;
  /**
   * Ends the blocking read of the reader whose `CLIENT ID` is `clientId`, from another connection.
   * Omitted when the loop is only ever asked for one partition (nothing to end a read for).
   */
  unblock?: (clientId: string) => void;
  /** One entry of `partition`, in id order within it. */
  deliver(partition: number, entry: StreamEntry): void;
  /** Entries were lost; the cursor has already moved past them. */
  lost(): void;
}

/** About the most bytes of entries one read asks Redis for, sized from entries read lately. */
const READ_BYTES = 1024 * 1024;
/**
 * The size of an entry assumed before any was read: the first reads ask for few entries (16 a
 * partition), not `batchSize` of a size nobody knows yet.
 */
const FIRST_ENTRY_BYTES = 64 * 1024;
/** About the most bytes of one catch-up handed out at once (read on, a batch at a time). */
const CATCH_UP_BYTES = 32 * 1024 * 1024;
const RETRY_MS = 100;
const MAX_RETRY_MS = 2000;
/** How soon an unblock is sent again while the read it was meant for still waits. */
const UNBLOCK_AGAIN_MS = 50;

/** A partition wanted and not read yet: when it was wanted, and its start being read. */
interface Start {
  readonly since: number;
  readonly position: Promise<string | undefined> | undefined;
}

/** The entries of one read, by partition, and the cursor each partition was read from. */
interface Read {
  readonly from: ReadonlyMap<number, string>;
  readonly entries: Map<number, StreamEntry[]>;
}

export class ReadLoop {
  readonly #options: ReadLoopOptions;
  readonly #partitionOf: ReadonlyMap<string, number>;
  readonly #stop = new AbortController();
  #reader!: RedisConnection;
  #unwatch!: () => void;
  readonly #done: Promise<void>;
  /** Partitions to read; their cursors are in `#cursors` once known. */
  readonly #wanted = new Set<number>();
  /** The id of the last entry delivered, per partition being read. */
  readonly #cursors = new Map<number, string>();
  /** Each partition wanted and not read yet. */
  readonly #starts = new Map<number, Start>();
  /** Callers waiting for a position to be known (or the loop to stop). */
  #waiters: Array<() => void> = [];
  /** Wakes the loop while it waits for a partition to be wanted. */
  #wake: (() => void) | undefined;
  #clientId: string | undefined;
  /** A blocking read is on the wire, over the partitions known when it was sent. */
  #blocking = false;
  /** A partition was wanted since the current blocking read was sent. */
  #stale = false;
  /** The loop has read the positions it was asked for at least once. */
  #begun = false;
  /** The bytes of the largest entry read lately (see `#readAll`). */
  #largestEntry = FIRST_ENTRY_BYTES;
  /** The bytes the next read asks for: fewer after a read that hung. */
  #readBytes = READ_BYTES;

  constructor(options: ReadLoopOptions) {
    this.#options = options;
    this.#partitionOf = new Map(options.keys.map((key, partition) => [key, partition]));
    if (options.readsAll) {
      // Read from the broker's creation: a subscriber that came before the first read misses nothing.
      const since = performance.now();
      for (let p = 0; p < options.keys.length; p++) {
        this.#wanted.add(p);
        this.#starts.set(p, { since, position: undefined });
      }
    }
    this.#openReader();
    this.#done = this.#run().finally(() => this.#settleWaiters());
  }

  /** The id of the last entry delivered on `partition`; `undefined` while it is not read. */
  cursor(partition: number): string | undefined {
    return this.#cursors.get(partition);
  }

  /** `true` while `partition` is read (asked for, or every partition is). */
  reads(partition: number): boolean {
    return this.#wanted.has(partition);
  }

  /** Starts (`true`) or stops (`false`) reading `partition`. Ignored when every partition is read. */
  want(partition: number, wanted: boolean): void {
    if (this.#options.readsAll) return;
    if (!wanted) {
      this.#wanted.delete(partition);
      this.#cursors.delete(partition);
      this.#starts.delete(partition);
      return;
    }
    if (this.#wanted.has(partition)) return;
    this.#wanted.add(partition);
    const since = performance.now();
    this.#starts.set(partition, { since, position: this.#options.readStart(partition, since) });
    this.#wake?.();
    if (this.#blocking) {
      this.#stale = true;
      void this.#unblockWhileStale();
    }
  }

  /**
   * Resolves once the loop knows the position of `partition` (of every partition it reads, when
   * omitted), or was closed first, or `timeoutMs` passed: to `true` when it is known.
   */
  async started(partition?: number, timeoutMs?: number): Promise<boolean> {
    const known = () => (partition === undefined ? this.#begun : this.#cursors.has(partition));
    if (!known() && !this.#stop.signal.aborted) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        const check = () => {
          if (known() || this.#stop.signal.aborted) {
            clearTimeout(timer);
            resolve();
          } else this.#waiters.push(check);
        };
        if (timeoutMs !== undefined) timer = setTimeout(resolve, timeoutMs);
        check();
      });
    }
    return known();
  }

  /** Stops the loop and closes its connection; resolves when the loop has exited. */
  async close(): Promise<void> {
    if (!this.#stop.signal.aborted) {
      this.#stop.abort();
      this.#wake?.();
      retire(this.#reader, this.#unwatch);
    }
    await this.#done;
  }

  /** Makes the loop's connection; throws what `createReader` throws, with nothing changed. */
  #openReader(): void {
    const { createReader, reporter } = this.#options;
    const reader = withReadDeadline(createReader());
    const unwatch = reader.onError((error) => reporter.failed(error, 'the read connection failed'));
    try {
      reader.connect();
    } catch (error) {
      retire(reader, unwatch);
      throw error;
    }
    this.#reader = reader;
    this.#unwatch = unwatch;
  }

  /**
   * Swaps a hung connection for a new one. A reply too large to come in time would hang again:
   * the next read asks for fewer bytes (down to one entry), the ones after for more again. Where
   * no new connection can be made, the hung one stays (its next read has the same deadline, and
   * the next hang tries again).
   */
  #replaceReader(hang: HungReadError): void {
    const { reporter } = this.#options;
    this.#readBytes = Math.max(1, Math.floor(this.#readBytes / 8));
    const retired = this.#reader;
    const unwatch = this.#unwatch;
    try {
      this.#openReader();
    } catch (error) {
      reporter.failed(error, 'a read connection hung and no new one could be made');
      return;
    }
    try {
      retire(retired, unwatch);
    } catch {
      // A retired connection that fails to close changes nothing for the loop.
    }
    reporter.replaced(hang);
  }

  async #run(): Promise<void> {
    const { reporter } = this.#options;
    let retryMs = RETRY_MS;
    while (!this.#stop.signal.aborted) {
      const reader = this.#reader;
      if (!reader.isReady) {
        await this.#pause(RETRY_MS);
        continue;
      }
      try {
        if (!this.#options.readsAll && this.#options.unblock !== undefined)
          this.#clientId ??= String(await reader.command(['CLIENT', 'ID']));
        await this.#startWanted();
        if (this.#cursors.size === 0) {
          await this.#idle();
          continue;
        }
        const read = await this.#readAll();
        reporter.recovered();
        retryMs = RETRY_MS;
        this.#handle(read);
      } catch (error) {
        this.#clientId = undefined;
        if (this.#stop.signal.aborted) return;
        if (error instanceof HungReadError) this.#replaceReader(error);
        else reporter.failed(error, 'reading the stream failed');
        await this.#pause(retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    }
  }

  /** Reads where each wanted partition not read yet starts: it is read from there on. */
  async #startWanted(): Promise<void> {
    const { keys } = this.#options;
    const reader = this.#reader;
    const missing = [...this.#wanted].filter((partition) => !this.#cursors.has(partition));
    const starts = missing.map((partition) => this.#starts.get(partition));
    const positions = await Promise.all(
      missing.map(async (partition, i) => {
        const start = starts[i];
        const since = start?.since ?? performance.now();
        // Read on the broker's connection; one that hangs is given up, and the loop reads it.
        const asked = start?.position;
        const known =
          asked === undefined
            ? undefined
            : await withinDeadline(asked, HUNG_AFTER_MS).catch(() => undefined);
        return known ?? positionSince(reader, keys[partition] as string, since);
      }),
    );
    missing.forEach((partition, i) => {
      // Left meanwhile, or left and wanted again (its new start is read next time round).
      if (!this.#wanted.has(partition) || this.#starts.get(partition) !== starts[i]) return;
      this.#cursors.set(partition, positions[i] as string);
      this.#starts.delete(partition);
    });
    this.#begun = true;
    this.#settleWaiters();
  }

  /**
   * Reads what there is after the cursors. A full read means the loop is behind (it stalled, or
   * a burst was published): it reads on without waiting until it has caught up, and the caller
   * hands all of it out in one turn. To clients a catch-up is then one burst, which the
   * slow-client policy gives a reader the time to take, not many bursts in a row that add up to
   * a debt only a slow client should have.
   *
   * Reads are `XREAD`s, the cheapest read Redis has (every instance reads every entry), each
   * asking for about `READ_BYTES` of entries the size of the largest one read lately
   * (`#largestEntry`). Replay pages are bounded in bytes by a script (`read-page.ts`); here that
   * costs Redis several times the CPU per entry, on every instance.
   */
  async #readAll(): Promise<Read> {
    const { keys, blockMs } = this.#options;
    const reader = this.#reader;
    const from = new Map(this.#cursors);
    const after = new Map(from);
    const entries = new Map<number, StreamEntry[]>();
    const streams = () => [...after].map(([p, id]) => [keys[p] as string, id] as const);
    // A partition wanted since its position was read is read next time round: no wait now.
    const block = this.#wanted.size === from.size ? blockMs : undefined;
    let count = this.#count(from.size);
    this.#blocking = true;
    this.#stale = false;
    let batch: Map<string, StreamEntry[]>;
    try {
      batch = await readAfter(reader, streams(), count, block);
    } finally {
      this.#blocking = false;
    }
    let size = 0;
    for (;;) {
      let full = false;
      let largest = 0;
      for (const [key, read] of batch) {
        const partition = this.#partitionOf.get(key);
        if (read.length === 0) continue;
        // Entries of a key the loop did not ask for (a connection that renames keys): skipped,
        // the cursors would never move and the loop would ask again at once, for ever.
        if (partition === undefined) throw unknownKey(key);
        const taken = entries.get(partition);
        if (taken === undefined) entries.set(partition, read);
        else for (const entry of read) taken.push(entry);
        after.set(partition, (read.at(-1) as StreamEntry).id);
        for (const entry of read) {
          const bytes = sizeOf(entry);
          size += bytes;
          largest = Math.max(largest, bytes);
        }
        if (read.length === count) full = true;
      }
      // Lately: a large entry shrinks the reads at once, and each read after it without one
      // lets them grow back (twice as many entries), so a stream of small entries is read in
      // large counts again soon.
      if (largest > 0) this.#largestEntry = Math.max(largest, Math.floor(this.#largestEntry / 2));
      this.#readBytes = Math.min(READ_BYTES, this.#readBytes * 2);
      if (!full || size >= CATCH_UP_BYTES || this.#stop.signal.aborted) break;
      count = this.#count(from.size);
      batch = await readAfter(reader, streams(), count, undefined);
    }
    return { from, entries };
  }

  /** Entries per partition for the next read of `partitions`: about `#readBytes` of them in all. */
  #count(partitions: number): number {
    const bytes = this.#readBytes / partitions;
    const count = Math.floor(bytes / Math.max(1, this.#largestEntry));
    return Math.max(1, Math.min(this.#options.batchSize, count));
  }

  #handle(read: Read): void {
    for (const [partition, entries] of read.entries) {
      for (const raw of entries) {
        if (this.#stop.signal.aborted) return;
        // A partition no longer wanted, or wanted again since (read from a new position): the
        // entries of this read are not its to deliver.
        const cursor = this.#cursors.get(partition);
        if (cursor === undefined || (raw === entries[0] && cursor !== read.from.get(partition))) {
          break;
        }
        if (!follows(raw.id, cursor)) {
          this.#cursors.set(partition, positionBefore(raw.id));
          this.#options.lost();
        }
        this.#cursors.set(partition, raw.id);
        this.#options.deliver(partition, raw);
      }
    }
  }

  /** Asks Redis to end the blocking read, again while it still waits (the ask may come first). */
  async #unblockWhileStale(): Promise<void> {
    while (this.#blocking && this.#stale && !this.#stop.signal.aborted) {
      if (this.#clientId !== undefined) this.#options.unblock?.(this.#clientId);
      await this.#pause(UNBLOCK_AGAIN_MS);
    }
  }

  /** Waits until a partition is wanted or the loop is closed. */
  async #idle(): Promise<void> {
    if (this.#wanted.size > 0 || this.#stop.signal.aborted) return;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    this.#wake = undefined;
  }

  #settleWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const check of waiters) check();
  }

  async #pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.#stop.signal });
    } catch {
      // Aborted by close(): the loop checks the signal next.
    }
  }
}

/** The characters of an entry's id, fields and values: about the bytes it holds. */
function sizeOf(entry: StreamEntry): number {
  let size = entry.id.length;
  for (const [field, value] of entry.fields) size += field.length + value.length;
  return size;
}

function unknownKey(key: string): SsekitError {
  return new SsekitError(
    'ERR_SSE_UNEXPECTED_REPLY',
    `ssekit/redis: XREAD answered with entries of "${key}", a key the broker did not read; nothing of it was delivered. Does the connection rename keys (a prefix)? The broker names its keys itself.`,
  );
}
