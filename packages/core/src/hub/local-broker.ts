/**
 * The in-process broker: ids from a boot-time prefix and a counter, storage in a {@link History},
 * delivery by a synchronous call to each listener. Publishing costs no I/O and no timer.
 */

import { checkKnownKeys } from '../checks.js';
import { SsekitError } from '../errors.js';
import type { Broker, BrokerListener, HubEntry, PublishedEntry, ReplayPage } from './broker.js';
import type { History } from './history.js';
import { compareIds, isHubId } from './ids.js';
import { memoryHistory } from './memory-history.js';

/** Options of {@link localBroker}. */
export interface LocalBrokerOptions {
  /** Where published entries are kept for replay. Default `memoryHistory()`. */
  history?: History;
}

/** The last boot prefix handed out, so two brokers created in the same millisecond differ. */
let lastPrefix = 0;

/**
 * A broker for one process. Ids are `<boot ms>-<n>`: strictly increasing, and never reused by a
 * later process (its boot time is later), so an id from before a restart is recognised as unknown.
 */
export function localBroker(options: LocalBrokerOptions = {}): Broker {
  checkKnownKeys('localBroker', options, ['history']);
  return new LocalBroker(options.history ?? memoryHistory());
}

class LocalBroker implements Broker {
  readonly #history: History;
  readonly #prefix: string;
  readonly #start: string;
  #sequence = 0;
  #last: string;
  #listeners: BrokerListener[] = [];
  /** Entries stored but not yet handed to every listener, oldest first. */
  readonly #queue: HubEntry[] = [];
  #handingOut = false;
  #closed = false;
  /** Only over a history that keeps the latest entry per key (`memoryHistory` does). */
  readonly snapshot: Broker['snapshot'];

  constructor(history: History) {
    this.#history = history;
    this.snapshot =
      history.latest === undefined
        ? undefined
        : (topics, afterId) => Promise.resolve(this.#latest(topics, afterId));
    lastPrefix = Math.max(Date.now(), lastPrefix + 1);
    this.#prefix = `${lastPrefix}-`;
    this.#start = `${this.#prefix}0`;
    this.#last = this.#start;
  }

  publish(published: PublishedEntry): Promise<string> {
    if (this.#closed) {
      return Promise.reject(
        new SsekitError('ERR_SSE_BROKER_CLOSED', 'ssekit: this broker is closed.'),
      );
    }
    this.#sequence += 1;
    const id = this.#prefix + this.#sequence;
    const entry: HubEntry = {
      id,
      topic: published.topic,
      event: published.event,
      data: published.data,
      key: published.key,
    };
    this.#history.append(entry);
    this.#queue.push(entry);
    if (!this.#handingOut) this.#handOut();
    return Promise.resolve(id);
  }

  /**
   * Hands each queued entry to every listener before the next. A listener may publish (a hub
   * filter can): its entry waits in the queue instead of overtaking the one being handed out.
   */
  #handOut(): void {
    this.#handingOut = true;
    try {
      for (let entry = this.#queue.shift(); entry !== undefined; entry = this.#queue.shift()) {
        this.#last = entry.id;
        for (const listener of this.#listeners) listener.entry(entry);
      }
    } finally {
      this.#handingOut = false;
    }
  }

  subscribe(listener: BrokerListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((other) => other !== listener);
    };
  }

  async *replay(afterId: string, topics: ReadonlySet<string>): AsyncIterable<ReplayPage> {
    const entries = this.#knows(afterId) ? this.#history.entriesAfter(afterId, topics) : undefined;
    yield entries ?? 'reset';
  }

  #latest(topics: ReadonlySet<string>, afterId: string | undefined): readonly HubEntry[] {
    const known = afterId !== undefined && this.#knows(afterId);
    return this.#history.latest?.(topics, known ? afterId : undefined) ?? [];
  }

  /** An id this broker gave (or its start): others belong to another process. */
  #knows(id: string): boolean {
    return isHubId(id) && compareIds(id, this.#start) >= 0 && compareIds(id, this.#last) <= 0;
  }

  cursor(): string {
    return this.#last;
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#listeners = [];
    return Promise.resolve();
  }
}
