/**
 * What a `subscribe` call missed while an async `authorize` decided it: the entries of its topics
 * that reached the hub but not the stream (which had no other call holding the topic). A call
 * that missed nothing starts live when decided, as it always did, with no replay and no reset; one
 * that missed entries replays its topics from just before the first of them, so its client gets
 * them, or a reset says where it cannot (another topic of the stream went on past them).
 */
import type { HubEntry } from './broker.js';
import type { TopicInterest } from './topic-interest.js';

/** The part of a stream's state this needs: whether it holds a topic now. */
interface Holder {
  subscriptionOf(topic: string): unknown;
}

/** Where a call that missed entries starts: after `from` (`undefined`: nowhere it can be placed). */
export interface MissedStart {
  readonly from: string | undefined;
}

export class UndecidedCall {
  readonly #state: Holder;
  /** The last entry of its topics the stream got anyway (or the call's position when made). */
  #seenTo: string | undefined;
  #missed = false;

  constructor(state: Holder, calledAt: string | undefined) {
    this.#state = state;
    this.#seenTo = calledAt;
  }

  /** An entry of one of the call's topics reached the hub. */
  see(entry: HubEntry): void {
    if (this.#missed) return;
    if (this.#state.subscriptionOf(entry.topic) !== undefined) this.#seenTo = entry.id;
    else this.#missed = true;
  }

  /** Where the call starts once decided: `undefined` when it missed nothing (live). */
  get start(): MissedStart | undefined {
    return this.#missed ? { from: this.#seenTo } : undefined;
  }
}

/**
 * The undecided calls of a hub, by topic. Each wants its topics as a subscription does
 * ({@link TopicInterest}): a broker that reads only what is wanted here (a partitioned one)
 * reads them while they are decided, so that what they miss meanwhile is seen.
 */
export class UndecidedCalls {
  readonly #byTopic = new Map<string, Set<UndecidedCall>>();
  readonly #interest: TopicInterest;

  constructor(interest: TopicInterest) {
    this.#interest = interest;
  }

  /** A call on `topics` waits on `authorize`; returns what ends that wait (idempotent). */
  open(call: UndecidedCall, topics: readonly string[]): () => void {
    for (const topic of topics) {
      let calls = this.#byTopic.get(topic);
      if (calls === undefined) {
        calls = new Set();
        this.#byTopic.set(topic, calls);
      }
      calls.add(call);
      this.#interest.want(topic);
    }
    let waiting = true;
    return () => {
      if (!waiting) return;
      waiting = false;
      // After the turn: the subscription of the allowed topics, made right after the wait ends,
      // wants them first, so the broker is not told they are dropped and wanted again (a
      // partition read again starts over).
      queueMicrotask(() => {
        for (const topic of topics) this.#interest.release(topic);
      });
      for (const topic of topics) {
        const calls = this.#byTopic.get(topic);
        calls?.delete(call);
        if (calls?.size === 0) this.#byTopic.delete(topic);
      }
    };
  }

  /** An entry reached the hub: the calls waiting on its topic see it. */
  see(entry: HubEntry): void {
    if (this.#byTopic.size === 0) return;
    const calls = this.#byTopic.get(entry.topic);
    if (calls !== undefined) for (const call of calls) call.see(entry);
  }
}
