/**
 * Who is subscribed to what: the subscriptions of each topic (for delivery and `close`), how
 * many streams are subscribed now (for `maxConnections`), and one {@link StreamState} per
 * stream, held by the stream, which makes a second subscribe to a topic add nothing and lets
 * each unsubscribe undo only its own call. The topics' subscriptions are the one table that grows
 * with the streams: a table per stream would cost every idle connection an entry.
 */

import { closedListener, whenClosed } from '../closed-listener.js';
import { inputError } from '../errors.js';
import { heldForgotten } from '../held-bytes.js';
import type { EventMap, SseStream } from '../sse-stream.js';
import type { HubFilter } from './hub-types.js';
import { StreamState, type StreamStateOwner } from './stream-state.js';
import { type DeliveryOptions, type ReplayStart, Subscription } from './subscription.js';
import type { TopicInterest } from './topic-interest.js';
import type { MissedStart } from './undecided-calls.js';

/** What one `subscribe` call added: subscriptions for the topics the stream did not have. */
export interface Added<Events extends EventMap> {
  /** For topics that start live. */
  readonly live: Subscription<Events> | undefined;
  /** For topics a resumed stream has not had replayed yet, in the `replaying` phase. */
  readonly replaying: Subscription<Events> | undefined;
  /** Undoes this call, once. */
  readonly unsubscribe: () => void;
}

export class SubscriberRegistry<Events extends EventMap> implements StreamStateOwner<Events> {
  readonly #topics = new Map<string, Set<Subscription<Events>>>();
  /** Wants a topic from its first subscription here to its last. */
  readonly #interest: TopicInterest;
  /** Whether a topic is a latest-value topic (the hub's `latestValue`). */
  readonly #isLatest: (topic: string) => boolean;

  constructor(interest: TopicInterest, isLatest: (topic: string) => boolean) {
    this.#interest = interest;
    this.#isLatest = isLatest;
  }
  /** How many streams have at least one subscription now. */
  #subscribed = 0;

  /** The subscriptions of `topic`, oldest first. */
  of(topic: string): ReadonlySet<Subscription<Events>> | undefined {
    return this.#topics.get(topic);
  }

  /** How many streams have at least one subscription now. */
  get streamCount(): number {
    return this.#subscribed;
  }

  /** The streams with at least one subscription now, each once. */
  *streams(): Iterable<SseStream<Events>> {
    const seen = new Set<SseStream<Events>>();
    for (const subscription of this.all()) {
      if (seen.has(subscription.stream)) continue;
      seen.add(subscription.stream);
      yield subscription.stream;
    }
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
    const state = this.#stateOf(stream);
    for (const topic of topics) {
      const held = state?.subscriptionOf(topic);
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
   * the stream's ids stay in order. A call that `missed` entries while an async `authorize`
   * decided it replays its topics from just before the first (topics replayed before included:
   * the stream got nothing of them after that point); where no such point is known, the client
   * is owed a reset before its next event.
   */
  add(
    stream: SseStream<Events>,
    topics: readonly string[],
    options: DeliveryOptions<Events>,
    position: () => string | undefined,
    missed?: MissedStart,
  ): Added<Events> {
    // Again: calls decided together by an async `authorize` were checked before either started.
    this.checkSameFilter(stream, topics, options.filter);
    const state = this.claim(stream);
    let live: string[] = [];
    let replay: string[] = [];
    for (const topic of topics) {
      if (state.addCall(topic)) continue;
      if (state.resumeFrom === undefined || state.replayed?.has(topic)) live.push(topic);
      else replay.push(topic);
    }
    let start: ReplayStart = { from: state.resumeFrom, snapshotAll: false };
    const fresh =
      state.resumeFrom === undefined ? live.filter((topic) => !state.replayed?.has(topic)) : [];
    if (missed?.from !== undefined && state.resumeFrom === undefined && live.length > 0) {
      start = { from: missed.from, snapshotAll: fresh.some(this.#isLatest) };
      replay = live;
      live = [];
    } else if (fresh.some(this.#isLatest)) {
      const from = position();
      start = { from, snapshotAll: true };
      replay = from === undefined ? fresh.filter(this.#isLatest) : fresh;
      live = live.filter((topic) => !replay.includes(topic));
    }
    // Entries it missed cannot be replayed from anywhere known: a reset says so.
    if (missed !== undefined && missed.from === undefined && live.length > 0) state.dropped = true;
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
    if (state.topicCount === 0) this.#subscribed += 1;
    for (const topic of topics) {
      let set = this.#topics.get(topic);
      if (set === undefined) {
        set = new Set();
        this.#topics.set(topic, set);
        this.#interest.want(topic);
      }
      set.add(subscription);
      state.holdTopic(topic, subscription);
    }
    return subscription;
  }

  /**
   * `authorize` refused `topic` to a stream that has it: delivery stops now, whatever calls held
   * it (their unsubscribe functions then do nothing for it).
   */
  revoke(stream: SseStream<Events>, topic: string): void {
    const state = this.#stateOf(stream);
    if (state !== undefined) this.#drop(state, topic);
  }

  /** A stream the registry served closed: every topic it still has is dropped. */
  stateClosed(state: StreamState<Events>): void {
    for (const topic of state.topicNames()) this.#drop(state, topic);
  }

  /**
   * Makes `stream` this hub's, before anything is set up for it: its state, made once for its
   * lifetime, which the stream holds and tells when it closes (no promise continuation or
   * closure per stream).
   * @throws {TypeError} when another hub serves it.
   */
  claim(stream: SseStream<Events>): StreamState<Events> {
    const held = this.#stateOf(stream);
    if (held !== undefined) return held;
    const state = new StreamState(stream, this);
    stream[whenClosed](state);
    return state;
  }

  /** The state this registry made for `stream`, if it made one. */
  #stateOf(stream: SseStream<Events>): StreamState<Events> | undefined {
    const held = stream[closedListener];
    return held instanceof StreamState && held.owner === this ? held : undefined;
  }

  /** One `subscribe` call lets go of `topic`; the last one to let go stops its delivery. */
  #release(state: StreamState<Events>, topic: string): void {
    if (state.releaseCall(topic)) this.#drop(state, topic);
  }

  #drop(state: StreamState<Events>, topic: string): void {
    const subscription = state.dropTopic(topic);
    if (subscription === undefined) return;
    const set = this.#topics.get(topic);
    set?.delete(subscription);
    if (set?.size === 0) {
      this.#topics.delete(topic);
      this.#interest.release(topic);
    }
    subscription.leave(topic);
    // Values held for a client that fell behind are not sent once it has left their topic.
    const forgotten = state.latest?.drop(topic) ?? 0;
    if (forgotten > 0) state.stream[heldForgotten](forgotten);
    if (state.topicCount === 0) this.#subscribed -= 1;
  }
}
