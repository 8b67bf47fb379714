/**
 * A stream's life in the hub. A `Subscription` delivers some topics to one stream through one
 * filter, and is in one explicit phase: what delivery does with it depends on its phase alone,
 * and each phase carries the data it needs. A stream whose topics have different filters, or
 * that resumes some topics beside live ones, holds one subscription per group; what they share
 * (its position, where its replays start, which topics were replayed) is its {@link StreamState}.
 */
import type { EventMap, SseStream } from '../sse-stream.js';
import type { HubEntry } from './broker.js';
import type { HubFilter } from './hub-types.js';
import { compareIds } from './ids.js';
import type { StreamState } from './stream-state.js';

/**
 * - `replaying`: its replay of the entries after `from` runs (and, on latest-value topics, of the
 *   latest entry per key: after `from`, or all of them with `snapshotAll`); live entries wait in
 *   `held` (in id order), those with a key in `heldLatest` (one per topic and key, in id order),
 *   until it is done; `coveredTo` is the last entry the replay has handed on (sent, or refused
 *   by the filter). `from` is `undefined` when nothing of plain topics is replayed.
 * - `holding`: not replaying itself, but its stream replays other topics: its live entries wait
 *   (`held`, `heldLatest`) to go out in id order with the replay's; those up to `after` were
 *   covered already, by its own replay, done. `taken` counts the entries of `held` handed on.
 * - `live`: gets entries as they come; with `sentUpTo`, its replay reached further than live
 *   delivery had, so live entries up to that id were already sent and are skipped once.
 * - `gone`: unsubscribed; a replay under way stops at its next step.
 */
export type Phase =
  | {
      readonly name: 'replaying';
      readonly from: string | undefined;
      readonly snapshotAll: boolean;
      readonly held: HubEntry[];
      heldLatest: Map<string, HubEntry> | undefined;
      coveredTo: string | undefined;
    }
  | {
      readonly name: 'holding';
      readonly held: HubEntry[];
      heldLatest: Map<string, HubEntry> | undefined;
      taken: number;
      readonly after: string | undefined;
    }
  | { readonly name: 'live'; readonly sentUpTo: string | undefined }
  | { readonly name: 'gone' };

/** The live phase of nearly every subscription: shared, since it carries nothing of its own. */
const LIVE: Phase = Object.freeze({ name: 'live', sentUpTo: undefined });
const GONE: Phase = Object.freeze({ name: 'gone' });

/** Where a subscription's replay starts (see the `replaying` phase); `undefined`: it starts live. */
export interface ReplayStart {
  readonly from: string | undefined;
  readonly snapshotAll: boolean;
}

/** How a subscription delivers, as its `subscribe` call asked. */
export interface DeliveryOptions<Events extends EventMap> {
  readonly filter: HubFilter<Events> | undefined;
  /** Whether the stream is told its position (the cursor signal). */
  readonly cursor: boolean;
}

export class Subscription<Events extends EventMap> {
  readonly state: StreamState<Events>;
  /**
   * The topics this subscription delivers (it is gone once none is left): nearly always one, kept
   * as the string itself; a `Set` only once it has had two. Held per idle connection.
   */
  #topics: string | Set<string> | undefined;
  readonly filter: HubFilter<Events> | undefined;
  /** Whether the stream is told its position (the cursor signal): not for clients that never resume. */
  readonly tellsPosition: boolean;
  phase: Phase;
  /** The last send found the client's buffer above its high-water mark. */
  backedUp = false;
  /** `stream.overflows` when last looked at, to count new overflows without a read per send. */
  overflowsSeen: number;

  /** Starts live, or, with `replay`, replaying first. */
  constructor(
    state: StreamState<Events>,
    topics: readonly string[],
    { filter, cursor }: DeliveryOptions<Events>,
    replay: ReplayStart | undefined,
  ) {
    this.state = state;
    this.#topics =
      topics.length === 1 ? topics[0] : topics.length === 0 ? undefined : new Set(topics);
    this.filter = filter;
    this.tellsPosition = cursor;
    this.phase =
      replay === undefined
        ? LIVE
        : {
            name: 'replaying',
            from: replay.from,
            snapshotAll: replay.snapshotAll,
            held: [],
            heldLatest: undefined,
            coveredTo: undefined,
          };
    this.overflowsSeen = state.stream.overflows;
  }

  /** Its stream: the state's, not a field of its own. */
  get stream(): SseStream<Events> {
    return this.state.stream;
  }

  /** The topics it delivers now. */
  get topics(): readonly string[] {
    const topics = this.#topics;
    if (topics === undefined) return [];
    return typeof topics === 'string' ? [topics] : [...topics];
  }

  /** Whether it delivers `topic`. */
  delivers(topic: string): boolean {
    const topics = this.#topics;
    return typeof topics === 'string' ? topics === topic : topics?.has(topic) === true;
  }

  /** Where its replay starts, while it is replaying. */
  get replayFrom(): string | undefined {
    return this.phase.name === 'replaying' ? this.phase.from : undefined;
  }

  /** Unsubscribed, or its stream closed: a replay under way stops at its next step. */
  get isGone(): boolean {
    return this.phase === GONE || this.stream.isClosed;
  }

  /** Notes how far the replay has gone, so leaving a topic now keeps what was already sent. */
  cover(id: string): void {
    if (this.phase.name === 'replaying') this.phase.coveredTo = id;
  }

  /**
   * Whether the client still needs a replayed `entry`: not when its topic was left during this
   * replay, nor when an earlier replay of the topic, left halfway, already handed it on.
   */
  owes(entry: HubEntry): boolean {
    if (!this.delivers(entry.topic)) return false;
    const before = this.state.replayedTo?.get(entry.topic);
    return before === undefined || compareIds(entry.id, before) > 0;
  }

  /**
   * The replay is done, up to `position`: its topics count as replayed (subscribed again later,
   * they continue live), and live entries up to `position` are skipped once if live delivery
   * (at `cursor`) has not reached it yet.
   */
  finishReplay(position: string | undefined, cursor: string | undefined): void {
    this.markReplayed();
    this.phase =
      position !== undefined && cursor !== undefined && compareIds(position, cursor) > 0
        ? { name: 'live', sentUpTo: position }
        : LIVE;
  }

  /** Its topics count as replayed: subscribed again later, they continue live. */
  markReplayed(): void {
    const state = this.state;
    state.replayed ??= new Set();
    for (const topic of this.topics) {
      state.replayed.add(topic);
      state.replayedTo?.delete(topic);
    }
  }

  /**
   * Holds live entries back while its stream replays other topics. A subscription whose own
   * replay is done keeps what it held, skipping later what that replay covered (up to `after`);
   * a live one whose replay sent entries live delivery has not brought yet skips them too.
   */
  hold(after: string | undefined): void {
    const phase = this.phase;
    if (phase.name === 'live') {
      const sent = phase.sentUpTo;
      const skip = sent !== undefined && (after === undefined || compareIds(sent, after) > 0);
      this.phase = {
        name: 'holding',
        held: [],
        heldLatest: undefined,
        taken: 0,
        after: skip ? sent : after,
      };
    } else if (phase.name === 'replaying') {
      const { held, heldLatest } = phase;
      this.phase = { name: 'holding', held, heldLatest, taken: 0, after };
    }
  }

  /** Its stream's replays are done: live again, skipping once what its own replay covered. */
  release(cursor: string | undefined): void {
    if (this.phase.name !== 'holding') return;
    const after = this.phase.after;
    this.phase =
      after !== undefined && cursor !== undefined && compareIds(after, cursor) > 0
        ? { name: 'live', sentUpTo: after }
        : LIVE;
  }

  /**
   * Whether a live entry was already sent by the replay. Live entries arrive in id order, so the
   * mark left by the replay is dropped at the first newer one.
   */
  sentByReplay(entry: HubEntry): boolean {
    const phase = this.phase;
    if (phase.name !== 'live' || phase.sentUpTo === undefined) return false;
    if (compareIds(entry.id, phase.sentUpTo) <= 0) return true;
    this.phase = LIVE;
    return false;
  }

  /**
   * Stops delivering `topic`: what is held for it is dropped, or it would still go out once the
   * stream's replay is done (after a denial, or after the unsubscribe). A topic left mid-replay
   * is not replayed yet: the stream keeps how far that replay got, so a later subscribe replays
   * the rest of it.
   */
  leave(topic: string): void {
    const topics = this.#topics;
    if (
      topics === topic ||
      (typeof topics === 'object' && topics.delete(topic) && topics.size === 0)
    ) {
      this.#topics = undefined;
    }
    const phase = this.phase;
    if (phase.name === 'replaying' || phase.name === 'holding') dropHeld(phase, topic);
    if (phase.name === 'replaying' && phase.coveredTo !== undefined) {
      const state = this.state;
      state.replayedTo ??= new Map();
      const before = state.replayedTo.get(topic);
      if (before === undefined || compareIds(phase.coveredTo, before) > 0) {
        state.replayedTo.set(topic, phase.coveredTo);
      }
    }
    if (this.#topics === undefined) this.phase = GONE;
  }
}

/** Drops the entries of `topic` a subscription holds and has not handed on yet. */
function dropHeld(phase: Extract<Phase, { name: 'replaying' | 'holding' }>, topic: string): void {
  const held = phase.held;
  let kept = phase.name === 'holding' ? phase.taken : 0;
  for (let index = kept; index < held.length; index += 1) {
    const entry = held[index] as HubEntry;
    if (entry.topic !== topic) held[kept++] = entry;
  }
  held.length = kept;
  if (phase.heldLatest === undefined) return;
  for (const [slot, entry] of phase.heldLatest) {
    if (entry.topic === topic) phase.heldLatest.delete(slot);
  }
}
