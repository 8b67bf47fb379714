/**
 * The hub: topics, serialize-once broadcast, and replay-then-live delivery without loss or
 * duplicates. It talks to storage and fan-out only through a {@link Broker}, so the in-process
 * default and `@ssekit/redis` are interchangeable. This file is the public face: options,
 * publishing, admission, shutdown and stats. Who is subscribed lives in `registry.ts`, getting
 * entries to them in `delivery.ts`, the replay of a reconnecting client in `replay.ts`.
 */

import { checkKnownKeys, positiveInteger, retryDelay } from '../checks.js';
import { type EncodedEvent, encodeEvent } from '../encoded-event.js';
import { dataText, eventName, type Serializer } from '../format.js';
import type { EventMap, SseStream } from '../sse-stream.js';
import { type SseStreamHandle, streamOf } from '../sse-stream-handle.js';
import { type Authorize, whenAuthorized } from './authorization.js';
import { AwaitingStreams } from './awaiting.js';
import type { Broker, BrokerListener, HubEntry } from './broker.js';
import { Delivery, type LocalMessage } from './delivery.js';
import { DeliveryGate } from './delivery-gate.js';
import {
  checkCursor,
  checkFilter,
  checkHubOptions,
  checkMessage,
  checkSubscribeOptions,
  checkTopic,
  checkTopics,
  hubClosedError,
} from './hub-checks.js';
import type {
  HubCloseOptions,
  HubMessage,
  HubOptions,
  HubStats,
  PublishOptions,
  SubscribeOptions,
} from './hub-types.js';
import { latestValueTopics, publishKey } from './latest-values.js';
import { localBroker } from './local-broker.js';
import { resetAfterLoss } from './losses.js';
import { parseOrText } from './parse-or-text.js';
import { SubscriberRegistry } from './registry.js';
import { holdDuringReplay, replayAtEndOfTurn, replayUnderWay } from './replay.js';
import { type CURSOR_EVENT, deniedSignal, type RESET_EVENT } from './signals.js';
import type { StreamState } from './stream-state.js';
import type { DeliveryOptions } from './subscription.js';
import { TopicInterest } from './topic-interest.js';
import { type MissedStart, UndecidedCall, UndecidedCalls } from './undecided-calls.js';

const DEFAULT_BUSY_RETRY = 10_000;

/** Topics, publishing, and replay-then-live subscriptions. Create it with {@link createHub}. */
export class Hub<Events extends EventMap = EventMap, Context = unknown> {
  readonly #broker: Broker;
  readonly #maxConnections: number;
  readonly #busyRetry: number;
  readonly #serializer: Serializer | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #authorize: Authorize<Context> | undefined;
  readonly #isLatest: (topic: string) => boolean;
  readonly #registry: SubscriberRegistry<Events>;
  /** Streams waiting on `authorize`: connections too, not subscribed yet. */
  readonly #awaiting = new AwaitingStreams<StreamState<Events>>();
  /** Calls waiting on `authorize`, told of each entry of their topics: what they miss is owed. */
  readonly #undecided: UndecidedCalls;
  readonly #delivery: Delivery<Events>;
  readonly #leaveBroker: () => void;
  readonly #gate = new DeliveryGate();
  #closing: Promise<void> | undefined;
  #published = 0;
  #rejected = 0;

  constructor(options: HubOptions<Context> = {}) {
    checkHubOptions(options);
    this.#authorize = options.authorize;
    this.#broker = options.broker ?? localBroker({ history: options.history });
    const broker = this.#broker;
    this.#isLatest = latestValueTopics(options.latestValue, broker);
    const interest = new TopicInterest((topic, subscribed) => {
      try {
        broker.interest?.(topic, subscribed);
      } catch (error) {
        this.#onError(error);
      }
    });
    this.#registry = new SubscriberRegistry<Events>(interest, this.#isLatest);
    this.#undecided = new UndecidedCalls(interest);
    this.#maxConnections = positiveInteger('maxConnections', options.maxConnections) ?? Infinity;
    this.#busyRetry = positiveInteger('busyRetry', options.busyRetry) ?? DEFAULT_BUSY_RETRY;
    this.#serializer = options.serializer;
    this.#onError = options.onError ?? console.error;
    this.#delivery = new Delivery(options.deserializer ?? parseOrText, this.#onError);
    this.#leaveBroker = this.#broker.subscribe({
      entry: (entry) => this.#deliver(entry),
      reset: () => this.#resetAll(),
    } satisfies BrokerListener);
  }

  /**
   * Publishes one event to every subscriber of `topic`, on every instance the broker reaches.
   * The data is serialized once and the event encoded once, whatever the number of subscribers.
   * Resolves to the id the event was given; rejects when the broker could not store it or the
   * hub is closed. On a latest-value topic (`latestValue`), `options.key` names what the event
   * is the latest value of.
   * @throws {TypeError} when `topic` is not a non-empty string, the message has an invalid
   * event name or data the serializer cannot handle, or `key` is missing on a latest-value topic,
   * given on another, or not a non-empty string.
   */
  publish(
    topic: string,
    message: HubMessage<Events>,
    options: PublishOptions = {},
  ): Promise<string> {
    checkTopic(topic);
    const key = publishKey(topic, options, this.#isLatest(topic));
    if (this.#closing !== undefined) return Promise.reject(hubClosedError());
    const { event, data } = checkMessage(message);
    if (event !== undefined) eventName(event);
    // The one serialization of this event: delivery frames the text, it does not serialize again.
    const text = dataText(data, this.#serializer);
    const local: LocalMessage = { topic, event, text, data, key };
    return this.#gate
      .whenDone(() => this.#store(local))
      .then((id) => {
        this.#published += 1;
        return id;
      });
  }

  /**
   * Delivers the events of `topics` to `stream` until the stream closes or the returned function
   * is called. With `stream.lastEventId` set, every retained event after it is replayed first,
   * then live, nothing lost or repeated; an id that cannot be replayed gets the
   * {@link RESET_EVENT}. Without it, the stream gets its position ({@link CURSOR_EVENT}) unless
   * `cursor: false`. Type the client's events `Events & HubSignals`. With `authorize`, each topic
   * is decided first (with `options.context`). Past `maxConnections`, or once the hub is closing,
   * the stream gets a `retry` hint and is closed. An adapter's handle (`res.sse`) opens here.
   * A stream gets each event once: a topic it already has adds nothing, and stays until every
   * call that asked for it is undone; each returned function undoes its own call only.
   * @throws {TypeError} when `topics` is empty or holds something other than non-empty strings,
   * when the stream has one of `topics` with another `filter`, or another hub serves the stream.
   */
  subscribe(
    target: SseStream<Events> | SseStreamHandle<Events>,
    topics: string | readonly string[],
    options: SubscribeOptions<Events, Context> = {},
  ): () => void {
    const topicList = checkTopics(topics);
    checkSubscribeOptions(options);
    const filter = checkFilter(options.filter);
    const cursorWanted = checkCursor(options.cursor);
    const stream = streamOf(target);
    if (stream.isClosed) return noop;
    const state = this.#registry.claim(stream);
    this.#registry.checkSameFilter(stream, topicList, filter);
    if (this.#closing !== undefined || this.#isFull(state)) {
      this.#rejected += 1;
      return this.#turnAway(stream);
    }
    const delivery = { filter, cursor: cursorWanted };
    if (this.#authorize === undefined) return this.#start(stream, topicList, delivery);
    let call: UndecidedCall | undefined;
    return whenAuthorized(this.#authorize, topicList, options.context as Context, {
      onError: this.#onError,
      stillWanted: () => !stream.isClosed,
      waiting: () => {
        call = new UndecidedCall(state, this.#broker.cursor(new Set(topicList)));
        const settled = this.#awaiting.add(state);
        const closed = this.#undecided.open(call, topicList);
        const ended = () => {
          settled();
          closed();
        };
        // A decision may never come: a stream that closes meanwhile stops wanting its topics.
        stream.closed.then(ended);
        return ended;
      },
      admit: (allowed) => this.#admit(state, topicList, allowed, delivery, call?.start),
    });
  }

  /**
   * Starts the allowed topics; a refused one gets the denied signal (and stops, if an earlier
   * call gave it), a stream left bare closes.
   */
  #admit(
    state: StreamState<Events>,
    topics: readonly string[],
    allowed: boolean[],
    delivery: DeliveryOptions<Events>,
    missed: MissedStart | undefined,
  ): () => void {
    const stream = state.stream;
    // The hub closed while the application decided: its shutdown closed the stream.
    if (this.#closing !== undefined) return noop;
    const granted = topics.filter((_, i) => allowed[i]);
    for (const topic of topics) {
      if (granted.includes(topic)) continue;
      // Refused now, held from an earlier call: the denial is the current answer, so it stops.
      this.#registry.revoke(stream, topic);
      stream.send(deniedSignal(topic));
    }
    if (granted.length > 0) return this.#start(stream, granted, delivery, missed);
    // At the end of the turn: a later subscribe call of this handler may still give it a topic.
    queueMicrotask(() => this.#holds(state) || this.#turnAway(stream));
    return noop;
  }

  /** Closes `stream` with the `busyRetry` hint: its client comes back later. */
  #turnAway(stream: SseStream<Events>): () => void {
    stream.send(encodeEvent({ retry: this.#busyRetry }));
    stream.close();
    return noop;
  }

  /**
   * Replay (for a resumed stream, or a call that `missed` entries while it was decided) then live
   * delivery of `topics` to `stream`.
   */
  #start(
    stream: SseStream<Events>,
    topicList: readonly string[],
    delivery: DeliveryOptions<Events>,
    missed?: MissedStart,
  ): () => void {
    const topics = new Set(topicList);
    const { live, replaying, unsubscribe } = this.#registry.add(
      stream,
      topicList,
      delivery,
      () => this.#broker.cursor(topics),
      missed,
    );
    if (live !== undefined) holdDuringReplay(live);
    const cursor = this.#broker.cursor(topics);
    // A resumed stream's position comes from its replay: a cursor now could skip part of it. So
    // does one with a replay under way (latest values' snapshot): a cursor now would come
    // before older ids, and the client's position would move back.
    if (
      live !== undefined &&
      cursor !== undefined &&
      stream.lastEventId === undefined &&
      replaying === undefined &&
      !replayUnderWay(live.state)
    ) {
      this.#delivery.sendCursor(live, cursor);
    }
    if (replaying !== undefined) {
      replayAtEndOfTurn(this.#broker, this.#delivery, replaying, this.#onError, this.#isLatest);
    }
    return unsubscribe;
  }

  /**
   * Stops accepting subscribers, sends each client the `retry` hint (if given) so it reconnects
   * elsewhere soon, closes every stream and the broker. Resolves once every stream has closed;
   * bytes still queued are written as fast as each client reads. Idempotent.
   * @throws {TypeError} when `retry` is not a non-negative whole number (the hub stays open).
   */
  close(options: HubCloseOptions = {}): Promise<void> {
    checkKnownKeys('hub.close', options, ['retry']);
    retryDelay('hub.close', options.retry);
    if (this.#closing === undefined) {
      const hint = options.retry === undefined ? undefined : encodeEvent({ retry: options.retry });
      this.#closing = this.#shutDown(hint);
    }
    return this.#closing;
  }

  /** Counters since creation, plus the streams and subscriptions open now. */
  stats(): HubStats {
    const counts = this.#delivery.counts;
    return {
      openStreams: this.#registry.streamCount,
      subscribers: this.#registry.counts(),
      eventsPublished: this.#published,
      eventsDelivered: counts.delivered,
      bytesDelivered: counts.bytes,
      overflows: counts.overflows,
      replaysServed: counts.replays,
      resetsSent: counts.resets,
      connectionsRejected: this.#rejected,
    };
  }

  /** Hands `message` to the broker; filters of its entry get `data` as published, unparsed. */
  #store(message: LocalMessage): Promise<string> {
    const { topic, event, text, key } = message;
    return this.#delivery.publishing(message, () =>
      this.#broker.publish(
        key === undefined ? { topic, event, data: text } : { topic, event, data: text, key },
      ),
    );
  }

  /** One entry to the local subscriptions of its topic; a filter's publish waits until it ends. */
  #deliver(entry: HubEntry): void {
    this.#undecided.see(entry);
    const subscriptions = this.#registry.of(entry.topic);
    if (subscriptions === undefined) return;
    this.#gate.run(() => this.#delivery.live(entry, subscriptions));
  }

  /** The broker lost entries: live subscriptions reset; replaying ones reconnect and find out. */
  #resetAll(): void {
    resetAfterLoss(this.#registry.all(), this.#delivery, (topics) => this.#broker.cursor(topics));
  }

  /** Subscribed, or waiting on `authorize`: one of this hub's connections. */
  #holds(state: StreamState<Events>): boolean {
    return state.topicCount > 0 || state.undecided > 0;
  }

  #isFull(state: StreamState<Events>): boolean {
    const connections = this.#registry.streamCount + this.#awaiting.size;
    return connections >= this.#maxConnections && !this.#holds(state);
  }

  async #shutDown(hint: EncodedEvent | undefined): Promise<void> {
    const streams = [...new Set([...this.#registry.streams(), ...this.#awaiting.streams()])];
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
export function createHub<Events extends EventMap = EventMap, Context = unknown>(
  options?: HubOptions<Context>,
): Hub<Events, Context> {
  return new Hub<Events, Context>(options);
}

function noop(): void {}
