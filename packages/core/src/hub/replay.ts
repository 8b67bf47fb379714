/**
 * Replay, then live, for the subscriptions a stream with a `Last-Event-ID` asks for: the retained
 * entries after it on their topics, in id order, under the stream's backpressure, then the live
 * entries held meanwhile, skipping every id already covered, so the client misses nothing, gets
 * nothing twice, and never sees an id older than one it already has. While a replay runs, the
 * stream's other topics hold their live entries too, so they go out in id order with the
 * replay's; a stream runs one replay at a time.
 */
import { heldSent } from '../held-bytes.js';
import type { EventMap } from '../sse-stream.js';
import { whenWritable } from '../waiting-writers.js';
import type { Broker, HubEntry } from './broker.js';
import type { Delivery } from './delivery.js';
import { compareIds, isHubId } from './ids.js';
import { slotOf } from './latest-values.js';
import type { StreamState } from './stream-state.js';
import type { Subscription } from './subscription.js';

/**
 * Starts the replay of `subscription` once this turn is over, as one with every other replay
 * its stream asks for in the same turn (several `subscribe` calls in a row), or after the replay
 * under way on the stream. A replay that fails (a backend outage) goes to `onError` and closes
 * the stream: its client resumes later.
 */
export function replayAtEndOfTurn<Events extends EventMap>(
  broker: Broker,
  delivery: Delivery<Events>,
  subscription: Subscription<Events>,
  onError: (error: unknown) => void,
  isLatest: (topic: string) => boolean,
): void {
  const state = subscription.state;
  // From now on the stream's live topics hold their entries, to go out in id order with these.
  for (const other of state.topicSubscriptions()) {
    if (other.phase.name === 'live') other.hold(undefined);
  }
  const batch = state.replayBatch;
  if (batch !== undefined && batch[0]?.replayFrom === subscription.replayFrom) {
    batch.push(subscription);
    return;
  }
  const subscriptions = [subscription];
  state.replayBatch = subscriptions;
  queueMicrotask(() => {
    if (state.replayBatch === subscriptions) state.replayBatch = undefined;
    if (state.queuedReplays !== undefined) {
      state.queuedReplays.push(subscriptions);
      return;
    }
    state.queuedReplays = [];
    replayThenLive(broker, delivery, subscriptions, isLatest).catch((error: unknown) => {
      onError(error);
      state.stream.close();
    });
  });
}

/**
 * A subscription made live while its stream replays holds its entries until the replay is done,
 * or they would go out among older replayed ones.
 */
export function holdDuringReplay<Events extends EventMap>(
  subscription: Subscription<Events>,
): void {
  if (replayUnderWay(subscription.state)) subscription.hold(undefined);
}

/** Whether the stream has a replay running or asked for in this turn. */
export function replayUnderWay<Events extends EventMap>(state: StreamState<Events>): boolean {
  return state.queuedReplays !== undefined || state.replayBatch !== undefined;
}

/**
 * Runs one replay for `batch` (of one stream, each in the `replaying` phase after the same id),
 * then the replays queued behind it, and makes the stream live. Entries go out merged in id
 * order: the batch's topics from the broker, the entries the stream's other topics hold in
 * between. Latest-value topics (`isLatest`) are not replayed: the broker's snapshot of them (the
 * latest entry per key) is merged in instead. Entries of the batch's plain topics older than the
 * last event the stream got (a topic added once newer events went out) cannot go out without
 * moving the client back: when there are any, the client gets a reset (`events-lost`) at that
 * event's id instead.
 */
async function replayThenLive<Events extends EventMap>(
  broker: Broker,
  delivery: Delivery<Events>,
  batch: readonly Subscription<Events>[],
  isLatest: (topic: string) => boolean,
): Promise<void> {
  const state = (batch[0] as Subscription<Events>).state;
  const stream = state.stream;
  const leader = batch.find((subscription) => !subscription.isGone);
  if (leader === undefined || leader.phase.name !== 'replaying') {
    return afterReplay(broker, delivery, state, undefined, isLatest);
  }
  const { from: afterId, snapshotAll } = leader.phase;
  const batchGone = () => batch.every((subscription) => subscription.isGone);
  const owner = (entry: HubEntry) =>
    batch.find((subscription) => subscription.delivers(entry.topic));
  const topics = new Set(batch.flatMap((subscription) => subscription.topics));
  const latestTopics = new Set([...topics].filter(isLatest));
  const plainTopics = new Set([...topics].filter((topic) => !latestTopics.has(topic)));
  // The replay covers at least up to the cursor when it starts (the broker's promise).
  const startCursor = broker.cursor(topics);
  // Nothing newer than that cursor goes out from the replay or the snapshot, which may read
  // further (Redis: XRANGE and HGETALL run ahead of the read loop): live delivery brings it, held
  // by these subscriptions meanwhile. Sent now, it would pass entries of the stream's other
  // topics that live delivery has not brought yet, and those would follow a newer id.
  const aheadOfLive = (entry: HubEntry) =>
    startCursor !== undefined && compareIds(entry.id, startCursor) > 0;
  const resumedAt = afterId !== undefined && isHubId(afterId) ? afterId : undefined;
  // Latest values held for a client that is behind go out first, as it reads (their ids may be
  // newer than what it got, and no replayed entry may follow them); a client that never reads
  // again is cut off by what the replay holds meanwhile.
  while (state.latest?.holding === true && !stream.isClosed) await stream[whenWritable]();
  /** The last event the stream got: nothing of the plain topics goes out at or before it. */
  const passed = state.sent;
  // A new stream's snapshot holds entries older than where its replay of plain topics starts.
  let position = snapshotAll ? passed : laterOf(resumedAt, passed);
  /** An entry the client is owed came too late to go out in order. */
  let gap = false;
  /** Hands one replayed entry on, once; `true` when it was sent and the client's buffer is full. */
  const handOn = (subscription: Subscription<Events>, entry: HubEntry): boolean => {
    position = entry.id;
    return delivery.offer(subscription, entry) && subscription.backedUp;
  };
  /** Sends what the stream's other topics hold that is older than `id` (all, without it). */
  const sendHeldBefore = async (id: string | undefined): Promise<boolean> => {
    for (let held = nextHeld(state, id); held !== undefined; held = nextHeld(state, id)) {
      position = held.entry.id;
      delivery.sendHeld(held.subscription, held.entry);
      if (held.subscription.backedUp) await stream[whenWritable]();
      if (stream.isClosed) return false;
    }
    return true;
  };
  /** Hands on a replayed or snapshot entry after what is held older than it. */
  const replayed = async (entry: HubEntry): Promise<boolean> => {
    const subscription = owner(entry);
    if (position !== undefined && compareIds(entry.id, position) <= 0) {
      // Passed already: the client got it, or it comes too late to go out in order.
      if (subscription?.owes(entry) && delivery.wants(subscription, entry)) gap = true;
      return true;
    }
    if (gap) tellGap();
    if (!(await sendHeldBefore(entry.id))) return false;
    if (subscription === undefined) return true;
    subscription.cover(entry.id);
    if (!subscription.owes(entry)) position = entry.id;
    else if (handOn(subscription, entry)) await stream[whenWritable]();
    return !stream.isClosed && !batchGone();
  };
  const tellGap = () => {
    gap = false;
    delivery.sendReset([leader], state.sent, 'events-lost');
  };
  const snapshot =
    latestTopics.size === 0
      ? []
      : ((await broker.snapshot?.(latestTopics, snapshotAll ? undefined : resumedAt)) ?? []);
  let fromSnapshot = 0;
  /** Hands on the snapshot's entries older than `id` (all with `undefined`); `false` once all left. */
  const handOnSnapshot = async (id: string | undefined): Promise<boolean> => {
    for (let entry = snapshot[fromSnapshot]; entry !== undefined; entry = snapshot[fromSnapshot]) {
      if ((id !== undefined && compareIds(entry.id, id) >= 0) || aheadOfLive(entry)) break;
      fromSnapshot += 1;
      if (!(await replayed(entry))) return false;
    }
    return !stream.isClosed && !batchGone();
  };
  /** The plain topics' retained entries, the snapshot's merged in; stops early when all left. */
  const replayPages = async (): Promise<void> => {
    if (afterId === undefined || plainTopics.size === 0) return;
    for await (const page of broker.replay(afterId, plainTopics)) {
      if (stream.isClosed || batchGone()) return;
      if (page === 'reset') {
        const at = laterOf(startCursor, passed);
        if (at !== undefined && !(await sendHeldBefore(at))) return;
        delivery.sendReset([leader], at, 'unknown-id');
        // The client reloads its state (the reset says so), then gets live events: the snapshot's
        // values at or before the reset's position would take its Last-Event-ID back behind it.
        position = at;
        while (isPassed(snapshot[fromSnapshot], at)) fromSnapshot += 1;
        await handOnSnapshot(undefined);
        return;
      }
      for (const entry of page) {
        if (aheadOfLive(entry)) return;
        if (!(await handOnSnapshot(entry.id)) || !(await replayed(entry))) return;
      }
    }
  };
  await replayPages();
  if (stream.isClosed) return;
  await handOnSnapshot(undefined);
  if (stream.isClosed) return;
  if (gap) tellGap();
  const covered = laterOf(position, startCursor);
  for (const subscription of batch) {
    if (subscription.isGone || subscription.phase.name !== 'replaying') continue;
    delivery.counts.replays += 1;
    subscription.markReplayed();
    // Its held entries up to `covered` went out in the replay; the rest go out in id order
    // with the other topics' once the stream's last replay is done.
    subscription.hold(covered);
  }
  return afterReplay(broker, delivery, state, covered, isLatest);
}

/**
 * One replay of the stream is done, up to `covered`: the next one queued runs, or, when none is
 * left, the held entries go out in id order, each subscription goes live, and a client whose
 * replay ended past the last id it got is told its position.
 */
function afterReplay<Events extends EventMap>(
  broker: Broker,
  delivery: Delivery<Events>,
  state: StreamState<Events>,
  covered: string | undefined,
  isLatest: (topic: string) => boolean,
): Promise<void> | undefined {
  const next = state.queuedReplays?.shift();
  if (next !== undefined) return replayThenLive(broker, delivery, next, isLatest);
  state.queuedReplays = undefined;
  // A replay asked for in this turn starts at its end, with what the stream holds now.
  if (state.replayBatch !== undefined || state.stream.isClosed) return;
  // Entries held while this loop sends (a filter that publishes) are taken in turn.
  for (let held = nextHeld(state, undefined); held !== undefined; ) {
    delivery.sendHeld(held.subscription, held.entry);
    held = nextHeld(state, undefined);
  }
  // Latest values may hold some of them further (counted still): their flush says when all is out.
  if (state.latest?.holding !== true) state.stream[heldSent]();
  if (state.stream.isClosed) return;
  const live = broker.cursor(new Set(state.topicNames()));
  let teller: Subscription<Events> | undefined;
  for (const subscription of state.topicSubscriptions()) {
    subscription.release(live);
    if (subscription.tellsPosition) teller ??= subscription;
  }
  // The client's id: its Last-Event-ID, or the last event it got (held ones included).
  const known = laterOf(state.sent, state.stream.lastEventId);
  if (
    teller !== undefined &&
    covered !== undefined &&
    state.undecided === 0 &&
    laterOf(covered, known) !== known
  ) {
    delivery.sendCursor(teller, covered);
  }
}

/** Whether `entry` is at or before `position` (an unknown position passes nothing). */
function isPassed(entry: HubEntry | undefined, position: string | undefined): boolean {
  return entry !== undefined && position !== undefined && compareIds(entry.id, position) <= 0;
}

/** The later of two positions; either may be unknown (or not a hub id). */
function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || !isHubId(a)) return b;
  if (b === undefined || !isHubId(b)) return a;
  return compareIds(a, b) >= 0 ? a : b;
}

/**
 * The oldest entry the stream's holding subscriptions hold, not handed on yet and older than
 * `before` (any, without it), taken (an entry of `heldLatest` is taken by removing it); entries
 * a subscription's own replay covered are skipped.
 */
function nextHeld<Events extends EventMap>(
  state: StreamState<Events>,
  before: string | undefined,
): { subscription: Subscription<Events>; entry: HubEntry } | undefined {
  let oldest: { subscription: Subscription<Events>; entry: HubEntry } | undefined;
  let fromLatest = false;
  const older = (entry: HubEntry | undefined): entry is HubEntry =>
    entry !== undefined &&
    (before === undefined || compareIds(entry.id, before) < 0) &&
    (oldest === undefined || compareIds(entry.id, oldest.entry.id) < 0);
  // A subscription with several topics is looked at once per topic: the same heads each time.
  for (const subscription of state.topicSubscriptions()) {
    const phase = subscription.phase;
    if (phase.name !== 'holding') continue;
    const covered = (entry: HubEntry) =>
      phase.after !== undefined && compareIds(entry.id, phase.after) <= 0;
    while (phase.taken < phase.held.length && covered(phase.held[phase.taken] as HubEntry)) {
      phase.taken += 1;
    }
    const head = phase.held[phase.taken];
    if (older(head)) {
      oldest = { subscription, entry: head };
      fromLatest = false;
    }
    // Held values are in id order: those the replay covered are dropped, in a loop (a snapshot
    // read late can cover one per key, far more than a recursion per value could take).
    let latest: HubEntry | undefined;
    for (const [slot, entry] of phase.heldLatest ?? []) {
      if (!covered(entry)) {
        latest = entry;
        break;
      }
      phase.heldLatest?.delete(slot);
    }
    if (older(latest)) {
      oldest = { subscription, entry: latest };
      fromLatest = true;
    }
  }
  const phase = oldest?.subscription.phase;
  if (oldest !== undefined && phase?.name === 'holding') {
    if (fromLatest)
      phase.heldLatest?.delete(slotOf(oldest.entry.topic, oldest.entry.key as string));
    else phase.taken += 1;
  }
  return oldest;
}
