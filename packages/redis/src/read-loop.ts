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

  constructor(options: ReadLoopOptions) {
    this.#options = options;
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
    const { reader, key, batchSize, blockMs, reporter } = this.#options;
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
        const entries = await readAfter(reader, key, this.#cursor, batchSize, blockMs);
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
