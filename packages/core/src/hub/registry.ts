/**
 * Who is subscribed to what: the subscribers of each topic (for delivery), the streams
 * subscribed now (for `maxConnections` and `close`), and one record per stream, which makes a
 * second subscribe to a topic add nothing and lets each unsubscribe undo only its own call.
 */
import type { EventMap, SseStream } from '../sse-stream.js';
import type { HubFilter } from './hub-types.js';
import { compareIds } from './ids.js';
import {
  GONE,
  LIVE,
  type Phase,
  type StreamRecord,
  type Subscriber,
  type TopicHold,
} from './subscriber.js';

/** What one `subscribe` call added: subscribers for the topics the stream did not have. */
export interface Added {
  /** For topics that start live. */
  readonly live: Subscriber | undefined;
  /** For topics a resumed stream has not had replayed yet, in the `replaying` phase. */
  readonly replaying: Subscriber | undefined;
  /** Undoes this call, once. */
  readonly unsubscribe: () => void;
}

export class SubscriberRegistry {
  readonly #topics = new Map<string, Set<Subscriber>>();
  /** Streams with at least one subscription now. */
  readonly #streams = new Set<SseStream<EventMap>>();
  readonly #records = new WeakMap<SseStream<EventMap>, StreamRecord>();

  /** The subscribers of `topic`, oldest first. */
  of(topic: string): ReadonlySet<Subscriber> | undefined {
    return this.#topics.get(topic);
  }

  /** Streams with at least one subscription now. */
  get streams(): ReadonlySet<SseStream<EventMap>> {
    return this.#streams;
  }

  /** Subscriptions per topic now. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [topic, set] of this.#topics) counts[topic] = set.size;
    return counts;
  }

  /** Every subscriber once, whatever its number of topics. */
  *all(): Iterable<Subscriber> {
    const seen = new Set<Subscriber>();
    for (const set of this.#topics.values()) {
      for (const subscriber of set) {
        if (seen.has(subscriber)) continue;
        seen.add(subscriber);
        yield subscriber;
      }
    }
  }

  /**
   * A topic delivered once can carry one filter: quietly keeping one of two could send a user
   * someone else's events, or hide theirs.
   * @throws {TypeError} when `stream` has one of `topics` with another filter.
   */
  checkSameFilter(
    stream: SseStream<EventMap>,
    topics: readonly string[],
    filter: HubFilter<EventMap> | undefined,
  ): void {
    const record = this.#records.get(stream);
    for (const topic of topics) {
      const hold = record?.topics.get(topic);
      if (hold === undefined || hold.subscriber.filter === filter) continue;
      throw new TypeError(
        `ssekit: this stream is already subscribed to "${topic}" with ${hold.subscriber.filter === undefined ? 'no' : 'another'} filter; nothing was subscribed. A stream gets each event of a topic once, through one filter: pass the same filter, or call the unsubscribe function of the first subscribe before subscribing again.`,
      );
    }
  }

  /**
   * Records one `subscribe` call. A resumed stream gets each topic replayed once: a topic whose
   * replay finished continues live, or a rejoin would replay what it already got; a topic left
   * mid-replay is replayed again, after what that replay handed on.
   */
  add(
    stream: SseStream<EventMap>,
    topics: readonly string[],
    filter: HubFilter<EventMap> | undefined,
  ): Added {
    const record = this.#records.get(stream) ?? this.#recordFor(stream);
    const live: string[] = [];
    const replay: string[] = [];
    for (const topic of topics) {
      const hold = record.topics.get(topic);
      if (hold !== undefined) hold.calls += 1;
      else if (record.resumeFrom === undefined || record.replayed?.has(topic)) live.push(topic);
      else replay.push(topic);
    }
    let undone = false;
    const unsubscribe = () => {
      if (undone) return;
      undone = true;
      for (const topic of topics) this.#release(record, topic);
    };
    return {
      live: live.length > 0 ? this.#start(record, live, filter, LIVE) : undefined,
      replaying: replay.length > 0 ? this.#startReplay(record, replay, filter) : undefined,
      unsubscribe,
    };
  }

  #startReplay(record: StreamRecord, topics: string[], filter: HubFilter<EventMap> | undefined) {
    return this.#start(record, topics, filter, {
      name: 'replaying',
      held: [],
      coveredTo: undefined,
    });
  }

  #start(
    record: StreamRecord,
    topics: string[],
    filter: HubFilter<EventMap> | undefined,
    phase: Phase,
  ): Subscriber {
    const subscriber: Subscriber = {
      stream: record.stream,
      record,
      topics: new Set(topics),
      filter,
      phase,
      backedUp: false,
      overflowsSeen: record.stream.overflows,
    };
    for (const topic of topics) {
      let set = this.#topics.get(topic);
      if (set === undefined) {
        set = new Set();
        this.#topics.set(topic, set);
      }
      set.add(subscriber);
      record.topics.set(topic, { subscriber, calls: 1 });
    }
    this.#streams.add(record.stream);
    return subscriber;
  }

  /**
   * The record of a stream the hub has not served before. A promise continuation cannot be
   * detached, so the stream's `closed` gets one listener for its lifetime, never one per call.
   */
  #recordFor(stream: SseStream<EventMap>): StreamRecord {
    const record: StreamRecord = {
      stream,
      topics: new Map(),
      position: undefined,
      resumeFrom: stream.lastEventId,
      replayed: undefined,
      replayedTo: undefined,
    };
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
    const phase = subscriber.phase;
    // Left mid-replay: not replayed yet, so a later subscribe replays the rest of it.
    if (phase.name === 'replaying' && phase.coveredTo !== undefined) {
      record.replayedTo ??= new Map();
      const before = record.replayedTo.get(topic);
      if (before === undefined || compareIds(phase.coveredTo, before) > 0) {
        record.replayedTo.set(topic, phase.coveredTo);
      }
    }
    if (subscriber.topics.size === 0) subscriber.phase = GONE;
    if (record.topics.size === 0) this.#streams.delete(record.stream);
  }
}
