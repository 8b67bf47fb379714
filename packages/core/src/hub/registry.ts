/**
 * Who is subscribed to what: the subscriptions of each topic (for delivery), the streams
 * subscribed now (for `maxConnections` and `close`), and one {@link StreamState} per stream,
 * which makes a second subscribe to a topic add nothing and lets each unsubscribe undo only its
 * own call.
 */

import { type ClosedListener, whenClosed } from '../closed-listener.js';
import { inputError } from '../errors.js';
import type { EventMap, SseStream } from '../sse-stream.js';
import type { HubFilter } from './hub-types.js';
import { SmallMap } from './small-collections.js';
import {
  type DeliveryOptions,
  type ReplayStart,
  type StreamState,
  Subscription,
} from './subscription.js';

/** What one `subscribe` call added: subscriptions for the topics the stream did not have. */
export interface Added<Events extends EventMap> {
  /** For topics that start live. */
  readonly live: Subscription<Events> | undefined;
  /** For topics a resumed stream has not had replayed yet, in the `replaying` phase. */
  readonly replaying: Subscription<Events> | undefined;
  /** Undoes this call, once. */
  readonly unsubscribe: () => void;
}

export class SubscriberRegistry<Events extends EventMap> implements ClosedListener {
  readonly #topics = new Map<string, Set<Subscription<Events>>>();
  /** Told when a topic gains its first subscription (`true`) or loses its last (`false`). */
  readonly #interest: (topic: string, subscribed: boolean) => void;
  /** Whether a topic is a latest-value topic (the hub's `latestValue`). */
  readonly #isLatest: (topic: string) => boolean;

  constructor(
    interest: (topic: string, subscribed: boolean) => void,
    isLatest: (topic: string) => boolean,
  ) {
    this.#interest = interest;
    this.#isLatest = isLatest;
  }
  /** Streams with at least one subscription now. */
  readonly #streams = new Set<SseStream<Events>>();
  readonly #states = new WeakMap<SseStream<Events>, StreamState<Events>>();

  /** The subscriptions of `topic`, oldest first. */
  of(topic: string): ReadonlySet<Subscription<Events>> | undefined {
    return this.#topics.get(topic);
  }

  /** Streams with at least one subscription now. */
  get streams(): ReadonlySet<SseStream<Events>> {
    return this.#streams;
  }

  /** Subscriptions per topic now. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [topic, set] of this.#topics) counts[topic] = set.size;
    return counts;
  }

  /** Every subscription once, whatever its number of topics. */
  *all(): Iterable<Subscription<Events>> {
    const seen = new Set<Subscription<Events>>();
    for (const set of this.#topics.values()) {
      for (const subscription of set) {
        if (seen.has(subscription)) continue;
        seen.add(subscription);
        yield subscription;
      }
    }
  }

  /**
   * A topic delivered once can carry one filter: quietly keeping one of two could send a user
   * someone else's events, or hide theirs.
   * @throws {TypeError} when `stream` has one of `topics` with another filter.
   */
  checkSameFilter(
    stream: SseStream<Events>,
    topics: readonly string[],
    filter: HubFilter<Events> | undefined,
  ): void {
    const state = this.#states.get(stream);
    for (const topic of topics) {
      const held = state?.topics.get(topic)?.subscription;
      if (held === undefined || held.filter === filter) continue;
      throw inputError(
        'ERR_SSE_FILTER_CONFLICT',
        `ssekit: this stream is already subscribed to "${topic}" with ${held.filter === undefined ? 'no' : 'another'} filter; nothing was subscribed. A stream gets each event of a topic once, through one filter: pass the same filter, or call the unsubscribe function of the first subscribe before subscribing again.`,
      );
    }
  }

  /**
   * Records one `subscribe` call (throws as `checkSameFilter` does). A resumed stream gets each
   * topic replayed once: a topic whose replay finished continues live, or a rejoin would replay
   * what it already got; a topic left mid-replay is replayed again, after what that replay
   * handed on. A stream that did not resume starts a latest-value topic with its snapshot; the
   * call's other new topics join that replay, from `position()` (the broker's position now), so
   * the stream's ids stay in order.
   */
  add(
    stream: SseStream<Events>,
    topics: readonly string[],
    options: DeliveryOptions<Events>,
    position: () => string | undefined,
  ): Added<Events> {
    // Again: calls decided together by an async `authorize` were checked before either started.
    this.checkSameFilter(stream, topics, options.filter);
    const state = this.#states.get(stream) ?? this.#stateOf(stream);
    let live: string[] = [];
    let replay: string[] = [];
    for (const topic of topics) {
      const hold = state.topics.get(topic);
      if (hold !== undefined) hold.calls += 1;
      else if (state.resumeFrom === undefined || state.replayed?.has(topic)) live.push(topic);
      else replay.push(topic);
    }
    let start: ReplayStart = { from: state.resumeFrom, snapshotAll: false };
    const fresh =
      state.resumeFrom === undefined ? live.filter((topic) => !state.replayed?.has(topic)) : [];
    if (fresh.some(this.#isLatest)) {
      const from = position();
      start = { from, snapshotAll: true };
      replay = from === undefined ? fresh.filter(this.#isLatest) : fresh;
      live = live.filter((topic) => !replay.includes(topic));
    }
    let undone = false;
    const unsubscribe = () => {
      if (undone) return;
      undone = true;
      for (const topic of topics) this.#release(state, topic);
    };
    return {
      live: live.length > 0 ? this.#start(state, live, options, undefined) : undefined,
      replaying: replay.length > 0 ? this.#start(state, replay, options, start) : undefined,
      unsubscribe,
    };
  }

  #start(
    state: StreamState<Events>,
    topics: string[],
    options: DeliveryOptions<Events>,
    replay: ReplayStart | undefined,
  ): Subscription<Events> {
    const subscription = new Subscription(state, topics, options, replay);
    for (const topic of topics) {
      let set = this.#topics.get(topic);
      if (set === undefined) {
        set = new Set();
        this.#topics.set(topic, set);
        this.#interest(topic, true);
      }
      set.add(subscription);
      state.topics.set(topic, { subscription, calls: 1 });
    }
    this.#streams.add(state.stream);
    return subscription;
  }

  /**
   * `authorize` refused `topic` to a stream that has it: delivery stops now, whatever calls held
   * it (their unsubscribe functions then do nothing for it).
   */
  revoke(stream: SseStream<Events>, topic: string): void {
    const state = this.#states.get(stream);
    if (state !== undefined) this.#drop(state, topic);
  }

  /** A stream the registry served closed: every topic it still has is dropped. */
  streamClosed(stream: object): void {
    const state = this.#states.get(stream as SseStream<Events>);
    if (state === undefined) return;
    for (const topic of state.topics.keys()) this.#drop(state, topic);
  }

  /**
   * Makes `stream` this hub's, before anything is set up for it.
   * @throws {TypeError} when another hub serves it.
   */
  claim(stream: SseStream<Events>): void {
    stream[whenClosed](this);
  }

  /**
   * The state of a stream the hub has not served before. The stream tells the registry itself
   * when it closes, once for its lifetime: no promise continuation or closure per stream.
   */
  #stateOf(stream: SseStream<Events>): StreamState<Events> {
    const state: StreamState<Events> = {
      stream,
      topics: new SmallMap(),
      position: undefined,
      sent: undefined,
      resumeFrom: stream.lastEventId,
      replayed: undefined,
      replayedTo: undefined,
      replayBatch: undefined,
      queuedReplays: undefined,
      latest: undefined,
    };
    stream[whenClosed](this);
    this.#states.set(stream, state);
    return state;
  }

  /** One `subscribe` call lets go of `topic`; the last one to let go stops its delivery. */
  #release(state: StreamState<Events>, topic: string): void {
    const hold = state.topics.get(topic);
    if (hold === undefined) return;
    hold.calls -= 1;
    if (hold.calls === 0) this.#drop(state, topic);
  }

  #drop(state: StreamState<Events>, topic: string): void {
    const hold = state.topics.get(topic);
    if (hold === undefined) return;
    state.topics.delete(topic);
    const set = this.#topics.get(topic);
    set?.delete(hold.subscription);
    if (set?.size === 0) {
      this.#topics.delete(topic);
      this.#interest(topic, false);
    }
    hold.subscription.leave(topic);
    // Values held for a client that fell behind are not sent once it has left their topic.
    state.latest?.drop(topic);
    if (state.topics.size === 0) this.#streams.delete(state.stream);
  }
}
