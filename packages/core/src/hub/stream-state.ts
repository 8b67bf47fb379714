/**
 * One stream as the hub knows it: its topics (each with the subscription delivering it and the
 * `subscribe` calls holding it) and what its subscriptions share (see `subscription.ts`).
 */
import type { ClosedListener } from '../closed-listener.js';
import type { EventMap, SseStream } from '../sse-stream.js';
import type { PendingLatest } from './latest-values.js';
import type { Subscription } from './subscription.js';

/** Who a {@link StreamState} tells when its stream closes (the hub's registry). */
export interface StreamStateOwner<Events extends EventMap> {
  stateClosed(state: StreamState<Events>): void;
}

/** A topic of one stream: delivered once, however many `subscribe` calls asked for it. */
interface TopicHold<Events extends EventMap> {
  readonly subscription: Subscription<Events>;
  /** The `subscribe` calls holding the topic whose unsubscribe function has not run yet. */
  calls: number;
}

/**
 * The stream itself holds its state, as the one listener it tells when it closes: no
 * process-wide table maps streams to their states, and the state lives as long as the stream,
 * so its `closed` listener is attached once however often the stream subscribes and
 * unsubscribes. Nearly every stream has one topic: it is kept in fields of the state, and a
 * `Map` is made only for a second (an idle connection pays for no map and no record per topic).
 */
export class StreamState<Events extends EventMap> implements ClosedListener {
  readonly stream: SseStream<Events>;
  /** The registry that made it: a stream is served by one hub. */
  readonly owner: StreamStateOwner<Events>;
  /** The one topic, while the stream has had no second at once; `undefined`: none. */
  #topic: string | undefined = undefined;
  #subscription: Subscription<Events> | undefined = undefined;
  #calls = 0;
  /** The last cursor sent, so another subscribe sends one only when the position moved on. */
  position: string | undefined = undefined;
  /**
   * The id of the last event the hub sent this stream: a later replay must not go back behind
   * it, or a client resuming from the older id would get events after it twice. (A cursor only
   * marks a position: the stream's topics sent nothing between the last event and it.)
   */
  sent: string | undefined = undefined;
  /**
   * The stream dropped events the hub sent it (`onOverflow: 'drop'`): the client is owed a reset
   * before its next event, or its position would move past them without a word.
   */
  dropped = false;
  /**
   * Calls of `subscribe` for this stream still waiting on an async `authorize` (counted by the
   * hub's `AwaitingStreams`). While any is, no cursor goes out: it would mark a position past
   * events of the topics being decided, and a client that reconnected from it would never get them.
   */
  undecided = 0;
  /**
   * Where the replay of a topic new to this stream starts: its `Last-Event-ID`, or the position
   * a reset gave it. `undefined` for a stream that did not resume: its topics start live.
   */
  resumeFrom: string | undefined;
  /** What few streams ever need (a second topic, a replay, latest values): made at first use. */
  #rare: RareState<Events> | undefined = undefined;

  constructor(stream: SseStream<Events>, owner: StreamStateOwner<Events>) {
    this.stream = stream;
    this.owner = owner;
    this.resumeFrom = stream.lastEventId;
  }

  /** Every topic, once the stream has had two at once. */
  get #many(): Map<string, TopicHold<Events>> | undefined {
    return this.#rare?.many;
  }

  #rareState(): RareState<Events> {
    this.#rare ??= new RareState();
    return this.#rare;
  }

  /** Clearing a field the stream never set makes no record: every replay ends by clearing. */
  #setRare<Field extends keyof RareState<Events>>(
    field: Field,
    value: RareState<Events>[Field],
  ): void {
    if (value === undefined && this.#rare === undefined) return;
    this.#rareState()[field] = value;
  }

  /**
   * Topics whose replay reached live delivery on this stream: subscribed again, they continue
   * live. A topic enters only once its replay has finished, never when it starts.
   */
  get replayed(): Set<string> | undefined {
    return this.#rare?.replayed;
  }

  set replayed(topics: Set<string> | undefined) {
    this.#setRare('replayed', topics);
  }

  /**
   * Topics left while their replay ran, with the last entry that replay handed on: subscribed
   * again, their replay continues after it, so nothing is lost and nothing sent twice.
   */
  get replayedTo(): Map<string, string> | undefined {
    return this.#rare?.replayedTo;
  }

  set replayedTo(topics: Map<string, string> | undefined) {
    this.#setRare('replayedTo', topics);
  }

  /** Subscriptions whose replay starts at the end of this turn, as one (see `replay.ts`). */
  get replayBatch(): Subscription<Events>[] | undefined {
    return this.#rare?.replayBatch;
  }

  set replayBatch(batch: Subscription<Events>[] | undefined) {
    this.#setRare('replayBatch', batch);
  }

  /** Replays waiting for the one under way on this stream; `undefined` when none is under way. */
  get queuedReplays(): Subscription<Events>[][] | undefined {
    return this.#rare?.queuedReplays;
  }

  set queuedReplays(replays: Subscription<Events>[][] | undefined) {
    this.#setRare('queuedReplays', replays);
  }

  /** Events of latest-value topics waiting for the client to read (see `latest-values.ts`). */
  get latest(): PendingLatest | undefined {
    return this.#rare?.latest;
  }

  set latest(pending: PendingLatest | undefined) {
    this.#setRare('latest', pending);
  }

  streamClosed(): void {
    this.owner.stateClosed(this);
  }

  /** How many topics the stream is subscribed to. */
  get topicCount(): number {
    if (this.#many !== undefined) return this.#many.size;
    return this.#topic === undefined ? 0 : 1;
  }

  /** The subscription delivering `topic` to the stream, if it has the topic. */
  subscriptionOf(topic: string): Subscription<Events> | undefined {
    if (this.#many !== undefined) return this.#many.get(topic)?.subscription;
    return this.#topic === topic ? this.#subscription : undefined;
  }

  /** One more `subscribe` call holds `topic`; `false` (and nothing done) when the stream lacks it. */
  addCall(topic: string): boolean {
    if (this.#many !== undefined) {
      const hold = this.#many.get(topic);
      if (hold !== undefined) hold.calls += 1;
      return hold !== undefined;
    }
    if (this.#topic !== topic) return false;
    this.#calls += 1;
    return true;
  }

  /** One `subscribe` call lets go of `topic`: `true` when it was the last one holding it. */
  releaseCall(topic: string): boolean {
    if (this.#many !== undefined) {
      const hold = this.#many.get(topic);
      if (hold === undefined) return false;
      hold.calls -= 1;
      return hold.calls === 0;
    }
    if (this.#topic !== topic) return false;
    this.#calls -= 1;
    return this.#calls === 0;
  }

  /** `subscription` delivers `topic`, which the stream did not have, held by one call. */
  holdTopic(topic: string, subscription: Subscription<Events>): void {
    if (this.#many === undefined && this.#topic === undefined) {
      this.#topic = topic;
      this.#subscription = subscription;
      this.#calls = 1;
      return;
    }
    let many = this.#many;
    if (many === undefined) {
      const first = {
        subscription: this.#subscription as Subscription<Events>,
        calls: this.#calls,
      };
      many = new Map([[this.#topic as string, first]]);
      this.#rareState().many = many;
      this.#topic = undefined;
      this.#subscription = undefined;
      this.#calls = 0;
    }
    many.set(topic, { subscription, calls: 1 });
  }

  /** Takes `topic` from the stream, whatever calls hold it: the subscription that delivered it. */
  dropTopic(topic: string): Subscription<Events> | undefined {
    if (this.#many !== undefined) {
      const hold = this.#many.get(topic);
      this.#many.delete(topic);
      return hold?.subscription;
    }
    if (this.#topic !== topic) return undefined;
    const subscription = this.#subscription;
    this.#topic = undefined;
    this.#subscription = undefined;
    this.#calls = 0;
    return subscription;
  }

  /** The topics now, as an array: safe to drop topics while going through it. */
  topicNames(): string[] {
    if (this.#many !== undefined) return [...this.#many.keys()];
    return this.#topic === undefined ? [] : [this.#topic];
  }

  /**
   * The subscription of each topic, in the order the topics came (one with several topics comes
   * once per topic); do not drop topics while going through them.
   */
  *topicSubscriptions(): Iterable<Subscription<Events>> {
    if (this.#many !== undefined) {
      for (const hold of this.#many.values()) yield hold.subscription;
    } else if (this.#subscription !== undefined) {
      yield this.#subscription;
    }
  }
}

/** The part of a {@link StreamState} that few streams need; see its accessors. */
class RareState<Events extends EventMap> {
  many: Map<string, TopicHold<Events>> | undefined = undefined;
  replayed: Set<string> | undefined = undefined;
  replayedTo: Map<string, string> | undefined = undefined;
  replayBatch: Subscription<Events>[] | undefined = undefined;
  queuedReplays: Subscription<Events>[][] | undefined = undefined;
  latest: PendingLatest | undefined = undefined;
}
