/**
 * One `XREAD BLOCK` loop per broker, on its own connection: every entry appended by any instance
 * is handed to the local listeners once, in id order. The loop survives Redis outages: it waits
 * for the connection to come back and resumes from its cursor; if entries it never delivered were
 * trimmed meanwhile (their counted ids skip), it moves the cursor and signals the loss.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HubEntry } from '@ssekit/core';
import { readAfter, readPosition } from './commands.js';
import type { RedisConnection } from './connection/connection.js';
import { follows, positionBefore } from './counted-ids.js';
import { toHubEntry } from './entry-fields.js';
import type { OutageReporter } from './outage-reporter.js';
import { nextCount, sizeOf } from './page-size.js';
import type { StreamEntry } from './replies.js';

/** What the loop needs; `reader` is a dedicated connection the loop owns. */
export interface ReadLoopOptions {
  reader: RedisConnection;
  key: string;
  batchSize: number;
  blockMs: number;
  reporter: OutageReporter;
  /** One entry, in id order. */
  deliver(entry: HubEntry): void;
  /** Entries were lost; the cursor has already moved past them. */
  lost(): void;
}

/** About the most bytes one read asks Redis for. */
const READ_BYTES = 1024 * 1024;
/** About the most bytes of one catch-up handed out at once (read on, a batch at a time). */
const CATCH_UP_BYTES = 32 * 1024 * 1024;
const RETRY_MS = 100;
const MAX_RETRY_MS = 2000;

export class ReadLoop {
  readonly #options: ReadLoopOptions;
  readonly #stop = new AbortController();
  readonly #unwatch: () => void;
  readonly #done: Promise<void>;
  /** Settles once the cursor is first known, or the loop stops before. */
  readonly #known: Promise<void>;
  #settleKnown!: () => void;
  #cursor: string | undefined;
  /** Entries the next read asks for, sized from the last read. */
  #count: number;

  constructor(options: ReadLoopOptions) {
    this.#options = options;
    this.#count = options.batchSize;
    this.#unwatch = options.reader.onError((error) =>
      options.reporter.failed(error, 'the read connection failed'),
    );
    this.#known = new Promise((resolve) => {
      this.#settleKnown = resolve;
    });
    options.reader.connect();
    this.#done = this.#run().finally(this.#settleKnown);
  }

  /** The id of the last entry delivered; `undefined` until the loop has read its start. */
  get cursor(): string | undefined {
    return this.#cursor;
  }

  /**
   * Resolves once the loop knows its position, or was closed first, or `timeoutMs` passed:
   * to `true` when the position is known.
   */
  async started(timeoutMs?: number): Promise<boolean> {
    if (this.#cursor === undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<void>((resolve) => {
        if (timeoutMs !== undefined) timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([this.#known, timedOut]);
      clearTimeout(timer);
    }
    return this.#cursor !== undefined;
  }

  /** Stops the loop and closes its connection; resolves when the loop has exited. */
  async close(): Promise<void> {
    if (!this.#stop.signal.aborted) {
      this.#stop.abort();
      this.#options.reader.destroy();
      this.#unwatch();
    }
    await this.#done;
  }

  async #run(): Promise<void> {
    const { reader, key, reporter } = this.#options;
    let retryMs = RETRY_MS;
    while (!this.#stop.signal.aborted) {
      if (!reader.isReady) {
        await this.#pause(RETRY_MS);
        continue;
      }
      try {
        if (this.#cursor === undefined) {
          this.#cursor = await readPosition(reader, key);
          this.#settleKnown();
        }
        const entries = await this.#readAll(this.#cursor);
        reporter.recovered();
        retryMs = RETRY_MS;
        this.#handle(entries);
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        reporter.failed(error, 'reading the stream failed');
        await this.#pause(retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    }
  }

  /**
   * Reads what there is after `cursor`. A full batch means the loop is behind (it stalled, or a
   * burst was published): it reads on without waiting until it has caught up, and the caller
   * hands all of it out in one turn. To clients a catch-up is then one burst, which the
   * slow-client policy gives a reader the time to take, not many bursts in a row that add up
   * to a debt only a slow client should have.
   */
  async #readAll(cursor: string): Promise<StreamEntry[]> {
    const { reader, key, batchSize, blockMs } = this.#options;
    let count = this.#count;
    let batch = await readAfter(reader, key, cursor, count, blockMs);
    const entries = [...batch];
    let size = sizeOf(batch);
    while (batch.length === count && size < CATCH_UP_BYTES && !this.#stop.signal.aborted) {
      count = nextCount(batch, READ_BYTES, batchSize);
      const last = (batch.at(-1) as StreamEntry).id;
      batch = await readAfter(reader, key, last, count, undefined);
      for (const entry of batch) entries.push(entry);
      size += sizeOf(batch);
    }
    this.#count = batch.length === 0 ? count : nextCount(batch, READ_BYTES, batchSize);
    return entries;
  }

  #handle(entries: readonly StreamEntry[]): void {
    for (const raw of entries) {
      if (this.#stop.signal.aborted) return;
      if (!follows(raw.id, this.#cursor as string)) {
        this.#cursor = positionBefore(raw.id);
        this.#options.lost();
      }
      this.#cursor = raw.id;
      const entry = toHubEntry(raw);
      if (entry !== undefined) this.#options.deliver(entry);
    }
  }

  async #pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.#stop.signal });
    } catch {
      // Aborted by close(): the loop checks the signal next.
    }
  }
}
