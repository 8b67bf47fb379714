/**
 * Publishes issued in the same turn share one round trip: appends are queued per stream key and
 * sent together, one script call per key (`appendEntries`), after the turn ends. Each append still
 * settles on its own: with its id, with the error Redis refused that entry with, or with the
 * failure of the call that carried it.
 */
import { type Append, appendEntries, type Retention } from './append-script.js';
import type { RedisConnection } from './connection/connection.js';

/** The most entries one script call carries; a larger turn is sent as several calls at once. */
const MAX_BATCH_ENTRIES = 512;
/** About the most bytes of fields one script call carries. */
const MAX_BATCH_BYTES = 1024 * 1024;

interface Queued {
  readonly append: Append;
  readonly size: number;
  resolve(id: string): void;
  reject(error: unknown): void;
}

export class AppendBatches {
  readonly #connection: RedisConnection;
  readonly #retention: Retention;
  readonly #queues = new Map<string, Queued[]>();
  #scheduled = false;

  constructor(connection: RedisConnection, retention: Retention) {
    this.#connection = connection;
    this.#retention = retention;
  }

  /** Appends one entry to the stream `key` with the others of this turn; resolves to its id. */
  append(key: string, append: Append): Promise<string> {
    return new Promise((resolve, reject) => {
      let queue = this.#queues.get(key);
      if (queue === undefined) {
        queue = [];
        this.#queues.set(key, queue);
      }
      queue.push({ append, size: sizeOf(append), resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const queues = [...this.#queues];
    this.#queues.clear();
    for (const [key, queued] of queues) {
      for (const batch of split(queued)) void this.#send(key, batch);
    }
  }

  async #send(key: string, batch: readonly Queued[]): Promise<void> {
    try {
      const outcomes = await appendEntries(
        this.#connection,
        key,
        batch.map((queued) => queued.append),
        this.#retention,
      );
      batch.forEach((queued, i) => {
        const outcome = outcomes[i] as string | Error;
        if (outcome instanceof Error) queued.reject(outcome);
        else queued.resolve(outcome);
      });
    } catch (error) {
      for (const queued of batch) queued.reject(error);
    }
  }
}

function split(queued: readonly Queued[]): Queued[][] {
  const batches: Queued[][] = [];
  let batch: Queued[] = [];
  let bytes = 0;
  for (const item of queued) {
    if (
      batch.length > 0 &&
      (batch.length >= MAX_BATCH_ENTRIES || bytes + item.size > MAX_BATCH_BYTES)
    ) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += item.size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function sizeOf(append: Append): number {
  let size = 0;
  for (const [field, value] of append.fields) size += field.length + value.length;
  return size;
}
