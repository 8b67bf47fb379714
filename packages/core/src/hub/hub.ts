/**
 * The hub: topics, serialize-once broadcast, and replay-then-live delivery without loss or
 * duplicates. It talks to storage and fan-out only through a {@link Broker}, so the in-process
 * default and `@ssekit/redis` are interchangeable.
 *
 * Hot path (one entry delivered by the broker): one lookup of the topic's subscribers, one
 * `encodeEvent`, then one `stream.send` of the same bytes per subscriber. No closure, promise or
 * allocation per subscriber.
 */

import { positiveInteger } from '../checks.js';
import { type EncodedEvent, encodeEvent } from '../encoded-event.js';
import type { EventMap, EventStream } from '../event-stream.js';
import { formatEvent, type Serializer } from '../format.js';
import type { Broker, BrokerListener, HubEntry } from './broker.js';
import { checkFilter, checkMessage, checkTopic, checkTopics } from './hub-checks.js';
import type {
  HubCloseOptions,
  HubDelivery,
  HubFilter,
  HubMessage,
  HubOptions,
  HubStats,
  SubscribeOptions,
} from './hub-types.js';
import { compareIds, isHubId } from './ids.js';
import { localBroker } from './local-broker.js';

/** The event a client gets when its `Last-Event-ID` cannot be replayed: refetch your state. */
export const RESET_EVENT = 'ssekit:reset';
/** The event that hands a new subscriber its position, so a reconnect resumes from there. */
export const CURSOR_EVENT = 'ssekit:cursor';
/**
 * Live events held for one subscriber while its replay runs. A client that reads so slowly that
 * more pile up is closed; it reconnects with its last id and resumes from there.
 */
export const MAX_HELD_EVENTS = 10_000;

/**
 * One stream as the hub knows it, kept (weakly) for as long as the stream exists, so its one
 * `closed` listener is attached once however often the stream subscribes and unsubscribes.
 */
interface StreamRecord {
  readonly stream: EventStream<EventMap>;
  /** Each topic the stream is subscribed to: the subscriber delivering it, and its holders. */
  readonly topics: Map<string, TopicHold>;
  /** The last cursor sent, so another subscribe sends one only when the position moved on. */
  position: string | undefined;
}

/** A topic of one stream: delivered once, however many `subscribe` calls asked for it. */
interface TopicHold {
  readonly subscriber: Subscriber;
  /** The `subscribe` calls holding the topic whose unsubscribe function has not run yet. */
  calls: number;
}

interface Subscriber {
  readonly stream: EventStream<EventMap>;
  readonly record: StreamRecord;
  /** The topics this subscriber delivers; it is gone once none is left. */
  readonly topics: Set<string>;
  readonly filter: HubFilter<EventMap> | undefined;
  /** Live entries waiting while the replay runs; `undefined` once live. */
  held: HubEntry[] | undefined;
  /** The replay went past live delivery: live entries up to this id were already sent. */
  sentUpTo: string | undefined;
  active: boolean;
  /** The last send found the client's buffer above its high-water mark. */
  backedUp: boolean;
  /** `stream.overflows` when last looked at, to count new overflows without a read per send. */
  overflowsSeen: number;
}

/** The last locally published message, to give filters the original data without a parse. */
interface LocalMessage {
  topic: string;
  event: string | undefined;
  text: string;
  data: unknown;
}

const DEFAULT_BUSY_RETRY = 10_000;

/** The `data` of a {@link RESET_EVENT}: why the client must refetch its state. */
type ResetReason = 'unknown-id' | 'events-lost';

/** Topics, publishing, and replay-then-live subscriptions. Create it with {@link createHub}. */
export class Hub<Events extends EventMap = EventMap> {
  readonly #broker: Broker;
  readonly #maxConnections: number;
  readonly #busyRetry: number;
  readonly #serializer: Serializer | undefined;
  readonly #deserializer: (text: string) => unknown;
  readonly #onError: (error: unknown) => void;
  readonly #topics = new Map<string, Set<Subscriber>>();
  /** Streams with at least one subscription now. */
  readonly #streams = new Set<EventStream<EventMap>>();
  readonly #records = new WeakMap<EventStream<EventMap>, StreamRecord>();
  readonly #leaveBroker: () => void;
  /** Entries encoded for a replay or a hold, reused when many clients reconnect at once. */
  readonly #encoded = new WeakMap<HubEntry, EncodedEvent>();
  #local: LocalMessage | undefined;
  #closing: Promise<void> | undefined;
  #cursorEvent: EncodedEvent | undefined;
  #published = 0;
  #delivered = 0;
  #bytes = 0;
  #overflows = 0;
  #replays = 0;
  #resets = 0;
  #rejected = 0;

  constructor(options: HubOptions = {}) {
    if (options.broker !== undefined && options.history !== undefined) {
      throw new TypeError(
        'ssekit: pass "history" or "broker" to createHub, not both; a broker keeps its own history.',
      );
    }
    this.#broker = options.broker ?? localBroker({ history: options.history });
    this.#maxConnections = positiveInteger('maxConnections', options.maxConnections) ?? Infinity;
    this.#busyRetry = positiveInteger('busyRetry', options.busyRetry) ?? DEFAULT_BUSY_RETRY;
    this.#serializer = options.serializer;
    this.#deserializer = options.deserializer ?? parseOrText;
    this.#onError = options.onError ?? console.error;
    const listener: BrokerListener = {
      entry: (entry) => this.#deliver(entry),
      reset: () => this.#resetAll(),
    };
    this.#leaveBroker = this.#broker.subscribe(listener);
  }

  /**
   * Publishes one event to every subscriber of `topic`, on every instance the broker reaches.
   * The data is serialized once and the event encoded once, whatever the number of subscribers.
   * Resolves to the id the event was given; rejects when the broker could not store it or the
   * hub is closed.
   * @throws {TypeError} when `topic` is not a non-empty string or the message has an invalid
   * event name or data the serializer cannot handle.
   */
  publish(topic: string, message: HubMessage<Events>): Promise<string> {
    checkTopic(topic);
    if (this.#closing !== undefined) {
      return Promise.reject(new Error('ssekit: the hub is closed; publish before hub.close().'));
    }
    const { event, data } = checkMessage(message);
    const text = this.#serialize(event, data);
    this.#local = { topic, event, text, data };
    let stored: Promise<string>;
    try {
      stored = this.#broker.publish({ topic, event, data: text });
    } finally {
      this.#local = undefined;
    }
    return stored.then((id) => {
      this.#published += 1;
      return id;
    });
  }

  /**
   * Delivers the events of `topics` to `stream` until the stream closes or the returned function
   * is called. With `stream.lastEventId` set, every retained event after it is replayed first,
   * then delivery continues live with nothing lost or repeated; an id that cannot be replayed
   * gets the {@link RESET_EVENT}. Without it, the stream gets its position ({@link CURSOR_EVENT}).
   * Past `maxConnections`, or once the hub is closing, the stream gets a `retry` hint and is
   * closed (the client reconnects later, as EventSource does after any stream ends).
   *
   * A stream gets each event once: subscribing it again to a topic it already has adds nothing
   * for that topic, and the topic stays until every `subscribe` call that asked for it has been
   * undone. Each returned function undoes its own call only, and does nothing the second time.
   * @throws {TypeError} when `topics` is empty or holds something other than non-empty strings,
   * or when the stream already has one of `topics` with a different `filter`.
   */
  subscribe(
    stream: EventStream<Events>,
    topics: string | readonly string[],
    options: SubscribeOptions<Events> = {},
  ): () => void {
    const topicList = checkTopics(topics);
    const filter = checkFilter(options.filter) as HubFilter<EventMap> | undefined;
    const target = stream as unknown as EventStream<EventMap>;
    if (target.isClosed) return noop;
    const existing = this.#records.get(target);
    if (existing !== undefined) checkSameFilter(existing, topicList, filter);
    if (this.#closing !== undefined || this.#isFull(target)) {
      this.#rejected += 1;
      target.send({ retry: this.#busyRetry });
      target.close();
      return noop;
    }
    const record = existing ?? this.#recordFor(target);
    const added = topicList.filter((topic) => !record.topics.has(topic));
    for (const topic of topicList) {
      const hold = record.topics.get(topic);
      if (hold !== undefined) hold.calls += 1;
    }
    if (added.length > 0) this.#start(record, added, filter);
    let undone = false;
    return () => {
      if (undone) return;
      undone = true;
      for (const topic of topicList) this.#release(record, topic);
    };
  }

  /**
   * Stops accepting subscribers, sends each client the `retry` hint (if given) so it reconnects
   * elsewhere soon, closes every stream and the broker. Resolves once every stream has closed;
   * bytes still queued are written as fast as each client reads. Idempotent.
   * @throws {TypeError} when `retry` is not a non-negative whole number (the hub stays open).
   */
  close(options: HubCloseOptions = {}): Promise<void> {
    if (this.#closing === undefined) {
      const hint = options.retry === undefined ? undefined : encodeEvent({ retry: options.retry });
      this.#closing = this.#shutDown(hint);
    }
    return this.#closing;
  }

  /** Counters since creation, plus the streams and subscriptions open now. */
  stats(): HubStats {
    const subscribers: Record<string, number> = {};
    for (const [topic, set] of this.#topics) subscribers[topic] = set.size;
    return {
      openStreams: this.#streams.size,
      subscribers,
      eventsPublished: this.#published,
      eventsDelivered: this.#delivered,
      bytesDelivered: this.#bytes,
      overflows: this.#overflows,
      replaysServed: this.#replays,
      resetsSent: this.#resets,
      connectionsRejected: this.#rejected,
    };
  }

  #deliver(entry: HubEntry): void {
    const subscribers = this.#topics.get(entry.topic);
    if (subscribers === undefined) return;
    const encoded = this.#encodeLive(entry);
    if (encoded === undefined) return;
    let message: HubDelivery<EventMap> | undefined;
    for (const subscriber of subscribers) {
      if (subscriber.held !== undefined) {
        this.#hold(subscriber, entry, encoded);
        continue;
      }
      if (subscriber.sentUpTo !== undefined && this.#alreadySent(subscriber, entry)) continue;
      if (subscriber.filter !== undefined) {
        message ??= this.#messageOf(entry);
        if (!this.#accepts(subscriber, message)) continue;
      }
      this.#send(subscriber, encoded);
    }
  }

  /** Starts delivering `topics` (none of which the stream has yet) to the stream of `record`. */
  #start(record: StreamRecord, topics: string[], filter: HubFilter<EventMap> | undefined): void {
    const stream = record.stream;
    const subscriber: Subscriber = {
      stream,
      record,
      topics: new Set(topics),
      filter,
      held: undefined,
      sentUpTo: undefined,
      active: true,
      backedUp: false,
      overflowsSeen: stream.overflows,
    };
    for (const topic of topics) {
      this.#topicSet(topic).add(subscriber);
      record.topics.set(topic, { subscriber, calls: 1 });
    }
    this.#streams.add(stream);
    const cursor = this.#broker.cursor();
    const afterId = stream.lastEventId;
    if (afterId === undefined) {
      if (cursor !== undefined) this.#sendCursor(subscriber, cursor);
    } else {
      subscriber.held = [];
      this.#replay(subscriber, afterId, new Set(topics), cursor).catch((error: unknown) => {
        this.#onError(error);
        stream.close();
      });
    }
  }

  /** Replay, then flush what arrived live meanwhile, skipping every id already covered. */
  async #replay(
    subscriber: Subscriber,
    afterId: string,
    topics: ReadonlySet<string>,
    startCursor: string | undefined,
  ): Promise<void> {
    let position: string | undefined = isHubId(afterId) ? afterId : undefined;
    let lastSent = position;
    for await (const page of this.#broker.replay(afterId, topics)) {
      if (isGone(subscriber)) return;
      if (page === 'reset') {
        this.#sendReset(subscriber, startCursor, 'unknown-id');
        position = startCursor;
        lastSent = startCursor;
        break;
      }
      for (const entry of page) {
        if (position !== undefined && compareIds(entry.id, position) <= 0) continue;
        position = entry.id;
        if (this.#offer(subscriber, entry)) lastSent = entry.id;
        if (subscriber.backedUp) await subscriber.stream.ready();
        if (isGone(subscriber)) return;
      }
    }
    if (isGone(subscriber)) return;
    this.#replays += 1;
    // The replay covered at least up to the cursor taken when the subscription started.
    if (
      position !== undefined &&
      startCursor !== undefined &&
      compareIds(startCursor, position) > 0
    ) {
      position = startCursor;
    }
    // Held entries are in id order; those up to `position` were covered by the replay.
    for (const entry of subscriber.held ?? []) {
      if (position !== undefined && compareIds(entry.id, position) <= 0) continue;
      position = entry.id;
      if (this.#offer(subscriber, entry)) lastSent = entry.id;
    }
    if (isGone(subscriber)) return;
    subscriber.held = undefined;
    const live = this.#broker.cursor();
    if (position !== undefined && live !== undefined && compareIds(position, live) > 0) {
      subscriber.sentUpTo = position;
    }
    if (position !== undefined && position !== lastSent) this.#sendCursor(subscriber, position);
  }

  /** Sends one entry to one subscriber if its filter accepts it; `true` when sent. */
  #offer(subscriber: Subscriber, entry: HubEntry): boolean {
    if (subscriber.filter !== undefined && !this.#accepts(subscriber, this.#messageOf(entry))) {
      return false;
    }
    this.#send(subscriber, this.#encodedOf(entry));
    return true;
  }

  /** The broker must not be thrown at: an entry no client could parse is reported and skipped. */
  #encodeLive(entry: HubEntry): EncodedEvent | undefined {
    try {
      return encodeEntry(entry);
    } catch (error) {
      this.#onError(error);
      return undefined;
    }
  }

  #encodedOf(entry: HubEntry): EncodedEvent {
    let encoded = this.#encoded.get(entry);
    if (encoded === undefined) {
      encoded = encodeEntry(entry);
      this.#encoded.set(entry, encoded);
    }
    return encoded;
  }

  /** Live entries arrive in id order, so the watermark is dropped at the first newer one. */
  #alreadySent(subscriber: Subscriber, entry: HubEntry): boolean {
    if (compareIds(entry.id, subscriber.sentUpTo as string) <= 0) return true;
    subscriber.sentUpTo = undefined;
    return false;
  }

  #hold(subscriber: Subscriber, entry: HubEntry, encoded: EncodedEvent): void {
    const held = subscriber.held as HubEntry[];
    if (held.length < MAX_HELD_EVENTS) {
      held.push(entry);
      this.#encoded.set(entry, encoded);
      return;
    }
    this.#overflows += 1;
    subscriber.stream.close();
  }

  #accepts(subscriber: Subscriber, message: HubDelivery<EventMap>): boolean {
    try {
      return (subscriber.filter as HubFilter<EventMap>)(message, subscriber.stream) === true;
    } catch (error) {
      this.#onError(error);
      return false;
    }
  }

  #send(subscriber: Subscriber, encoded: EncodedEvent): void {
    const stream = subscriber.stream;
    if (stream.send(encoded)) {
      subscriber.backedUp = false;
      this.#delivered += 1;
      this.#bytes += encoded.bytes.byteLength;
      return;
    }
    // Refused, or queued above the high-water mark: only the rare path looks closer.
    subscriber.backedUp = true;
    const overflows = stream.overflows;
    if (overflows !== subscriber.overflowsSeen) {
      this.#overflows += overflows - subscriber.overflowsSeen;
      subscriber.overflowsSeen = overflows;
    } else if (!stream.isClosed) {
      this.#delivered += 1;
      this.#bytes += encoded.bytes.byteLength;
    }
  }

  #sendReset(subscriber: Subscriber, cursor: string | undefined, reason: ResetReason): void {
    this.#resets += 1;
    subscriber.stream.send(encodeEvent({ event: RESET_EVENT, id: cursor, data: reason }));
  }

  /** The broker lost entries: live subscribers reset; replaying ones reconnect and find out. */
  #resetAll(): void {
    const cursor = this.#broker.cursor();
    for (const subscriber of this.#subscribers()) {
      if (subscriber.held !== undefined) subscriber.stream.close();
      else this.#sendReset(subscriber, cursor, 'events-lost');
    }
  }

  /** Tells the client its position, unless this stream was already given it or a later one. */
  #sendCursor(subscriber: Subscriber, id: string): void {
    const record = subscriber.record;
    if (record.position !== undefined && compareIds(id, record.position) <= 0) return;
    record.position = id;
    if (this.#cursorEvent?.id !== id) {
      this.#cursorEvent = encodeEvent({ event: CURSOR_EVENT, id, data: '' });
    }
    subscriber.stream.send(this.#cursorEvent);
  }

  #messageOf(entry: HubEntry): HubDelivery<EventMap> {
    const local = this.#local;
    const data =
      local !== undefined &&
      local.text === entry.data &&
      local.topic === entry.topic &&
      local.event === entry.event
        ? local.data
        : this.#deserializer(entry.data);
    return { id: entry.id, topic: entry.topic, event: entry.event, data };
  }

  /** Serializes through the core formatter, so validation and errors match `stream.send`. */
  #serialize(event: string | undefined, data: unknown): string {
    if (typeof data === 'string') {
      formatEvent({ event });
      return data;
    }
    const serializer = this.#serializer ?? JSON.stringify;
    let text = '';
    formatEvent(
      { event, data },
      {
        serializer: (value) => {
          const result = serializer(value);
          if (typeof result === 'string') text = result;
          return result;
        },
      },
    );
    return text;
  }

  #isFull(stream: EventStream<EventMap>): boolean {
    return this.#streams.size >= this.#maxConnections && !this.#streams.has(stream);
  }

  #topicSet(topic: string): Set<Subscriber> {
    let set = this.#topics.get(topic);
    if (set === undefined) {
      set = new Set();
      this.#topics.set(topic, set);
    }
    return set;
  }

  /**
   * The record of a stream the hub has not served before. A promise continuation cannot be
   * detached, so the stream's `closed` gets one listener for its lifetime, never one per call.
   */
  #recordFor(stream: EventStream<EventMap>): StreamRecord {
    const record: StreamRecord = { stream, topics: new Map(), position: undefined };
    this.#records.set(stream, record);
    stream.closed.then(() => {
      for (const topic of [...record.topics.keys()]) this.#drop(record, topic);
    });
    return record;
  }

  /** One `subscribe` call lets go of `topic`; the last one to let go stops its delivery. */
  #release(record: StreamRecord, topic: string): void {
    const hold = record.topics.get(topic);
    if (hold === undefined) return;
    hold.calls -= 1;
    if (hold.calls === 0) this.#drop(record, topic);
  }

  #drop(record: StreamRecord, topic: string): void {
    const subscriber = (record.topics.get(topic) as TopicHold).subscriber;
    record.topics.delete(topic);
    subscriber.topics.delete(topic);
    const set = this.#topics.get(topic);
    set?.delete(subscriber);
    if (set?.size === 0) this.#topics.delete(topic);
    if (subscriber.topics.size === 0) {
      subscriber.active = false;
      subscriber.held = undefined;
    }
    if (record.topics.size === 0) this.#streams.delete(record.stream);
  }

  *#subscribers(): Iterable<Subscriber> {
    const seen = new Set<Subscriber>();
    for (const set of this.#topics.values()) {
      for (const subscriber of set) {
        if (seen.has(subscriber)) continue;
        seen.add(subscriber);
        yield subscriber;
      }
    }
  }

  async #shutDown(hint: EncodedEvent | undefined): Promise<void> {
    const streams = [...this.#streams];
    for (const stream of streams) {
      if (hint !== undefined) stream.send(hint);
      stream.close();
    }
    await Promise.all(streams.map((stream) => stream.closed));
    this.#leaveBroker();
    await this.#broker.close();
  }
}

/**
 * Creates a hub. With no options it keeps the last 1000 events in memory for replay.
 * @throws {TypeError} when an option is out of range, or both `history` and `broker` are given.
 */
export function createHub<Events extends EventMap = EventMap>(options?: HubOptions): Hub<Events> {
  return new Hub<Events>(options);
}

/** A topic delivered once can carry one filter: a second one would silently be ignored. */
function checkSameFilter(
  record: StreamRecord,
  topics: readonly string[],
  filter: HubFilter<EventMap> | undefined,
): void {
  for (const topic of topics) {
    const hold = record.topics.get(topic);
    if (hold === undefined || hold.subscriber.filter === filter) continue;
    throw new TypeError(
      `ssekit: this stream is already subscribed to "${topic}" with ${hold.subscriber.filter === undefined ? 'no' : 'another'} filter; nothing was subscribed. A stream gets each event of a topic once, through one filter: pass the same filter, or call the unsubscribe function of the first subscribe before subscribing again.`,
    );
  }
}

function isGone(subscriber: Subscriber): boolean {
  return !subscriber.active || subscriber.stream.isClosed;
}

function encodeEntry(entry: HubEntry): EncodedEvent {
  return encodeEvent({ id: entry.id, event: entry.event, data: entry.data });
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function noop(): void {}
