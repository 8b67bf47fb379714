/**
 * The seam between the hub and where events are stored and fanned out. The in-process default is
 * `localBroker` (over a {@link History}); `@ssekit/redis` implements the same interface on Redis
 * Streams. The hub serializes each event once, hands the text to the broker, and frames whatever
 * the broker delivers once for all local subscribers; it never knows which broker it talks to.
 */

/**
 * One stored event. `data` is already serialized text; the hub frames it as-is.
 *
 * Ids have the Redis stream id form `<ms>-<seq>` (two non-negative integers, e.g. `1700000000000-3`)
 * and are ordered numerically, first part then second: compare them with `compareIds`. A broker
 * never reuses an id, even across a restart, so an id from an earlier process is not mistaken for
 * a new event.
 */
export interface HubEntry {
  readonly id: string;
  readonly topic: string;
  /** The SSE event name; absent for the default `message` event. */
  readonly event?: string | undefined;
  readonly data: string;
  /**
   * The key of an event on a latest-value topic (a symbol, a sensor id): a later entry with the
   * same topic and key replaces it. Absent on plain topics. A broker stores it with the entry and
   * hands it back on delivery, replay and {@link Broker.snapshot}.
   */
  readonly key?: string | undefined;
}

/** An event handed to {@link Broker.publish}: an entry before the broker gives it an id. */
export type PublishedEntry = Omit<HubEntry, 'id'>;

/**
 * What a replay yields: a page of entries on the requested topics, oldest first, or `'reset'`
 * when events after the requested id are no longer retained (the id is unknown, malformed, older
 * than the retention window, or entries after it were trimmed while paging). After `'reset'`
 * the replay ends; the hub then tells the client to refetch its state.
 */
export type ReplayPage = readonly HubEntry[] | 'reset';

/** Receives every entry the broker delivers, for all topics. */
export interface BrokerListener {
  /**
   * One entry, in id order, each exactly once per listener. Must not throw. May publish (a hub
   * filter can): the broker hands the current entry to every listener before the new one.
   */
  entry(entry: HubEntry): void;
  /**
   * Entries that should have been delivered were lost (for example trimmed during an outage).
   * Called after {@link Broker.cursor} has moved to the position delivery resumes from; the hub
   * sends every local subscriber the reset signal.
   */
  reset(): void;
}

/** Stores events, fans them out to every instance, and replays them. */
export interface Broker {
  /**
   * Stores one event and fans it out; resolves to the id it was given once it is stored.
   * Delivery to listeners may happen before or after the promise resolves. Rejects when the
   * event could not be stored (the caller decides what to do); it was then delivered nowhere.
   */
  publish(entry: PublishedEntry): Promise<string>;
  /** Starts live delivery of every entry published from now on, on every topic. Returns the unsubscribe function. */
  subscribe(listener: BrokerListener): () => void;
  /**
   * The retained entries after `afterId` (exclusive) on `topics`, oldest first, in pages, up to
   * at least the last entry delivered to listeners when the replay started. A thrown error (a
   * backend outage) is not a reset: the hub closes the client's stream so it retries later.
   */
  replay(afterId: string, topics: ReadonlySet<string>): AsyncIterable<ReplayPage>;
  /**
   * The id of the last entry handed to listeners: every later entry will be handed to them.
   * A new subscriber starts after it. `undefined` while the broker does not know its position yet.
   * With `topics`, the position of a subscriber of those topics, for a broker whose ids are
   * ordered per group of topics (a partitioned one); `undefined` when no one id can be.
   */
  cursor(topics?: ReadonlySet<string>): string | undefined;
  /**
   * Optional. The hub calls it when `topic` gains its first local subscriber (`true`) and when it
   * loses its last one (`false`), so that a broker can read only what local subscribers need. A
   * broker that implements it still hands listeners every entry of a topic from the `true` call
   * on, once {@link Broker.cursor} for the topic is defined.
   */
  interest?(topic: string, subscribed: boolean): void;
  /**
   * Optional; required by a hub with `latestValue` topics. The latest entry per key on `topics`
   * (of the entries published with a `key`), oldest first; with `afterId`, only those after it.
   * An `afterId` the broker cannot place (another process's, another partition's) counts as
   * `undefined`: the whole snapshot. Like {@link Broker.replay}, it covers at least up to the
   * last entry delivered to listeners when it was called, so the hub hands over to live delivery
   * without a gap. Keep one entry per topic and key, replaced when a newer one is published,
   * not bounded by the history's retention (it is bounded by the number of keys).
   */
  snapshot?(topics: ReadonlySet<string>, afterId: string | undefined): Promise<readonly HubEntry[]>;
  /** Stops delivery and releases connections and timers. Idempotent. */
  close(): Promise<void>;
}
