/**
 * Getting entries to subscriptions: each live entry encoded once for all of them, held for those
 * still replaying, passed through filters, and counted for `stats()`. Also the sending of the
 * hub's own signals (`signals.ts`), the cursor and the reset.
 *
 * Hot path (one entry delivered by the broker): one `encodeEvent`, then one `stream.send` of the
 * same bytes per subscription. No closure, promise or allocation per subscription.
 */
import { type EncodedEvent, encodeEvent } from '../encoded-event.js';
import { heldForgotten, heldSent, holdBack } from '../held-bytes.js';
import type { EventMap } from '../sse-stream.js';
import { whenWritable } from '../waiting-writers.js';
import type { HubEntry } from './broker.js';
import type { HubDelivery } from './hub-types.js';
import { compareIds } from './ids.js';
import { type PendingEvent, PendingLatest, slotOf } from './latest-values.js';
import { replayUnderWay } from './replay.js';
import { cursorSignal, type ResetReason, resetSignal } from './signals.js';
import type { StreamState } from './stream-state.js';
import type { Phase, Subscription } from './subscription.js';

/** The last locally published message, to give filters the original data without a parse. */
export interface LocalMessage {
  readonly topic: string;
  readonly event: string | undefined;
  readonly text: string;
  readonly data: unknown;
  readonly key: string | undefined;
}

/** What delivery has done since the hub was created; `stats()` reports it. */
export interface DeliveryCounts {
  delivered: number;
  bytes: number;
  overflows: number;
  replays: number;
  resets: number;
}

export class Delivery<Events extends EventMap> {
  readonly counts: DeliveryCounts = { delivered: 0, bytes: 0, overflows: 0, replays: 0, resets: 0 };
  readonly #deserializer: (text: string) => unknown;
  readonly #onError: (error: unknown) => void;
  /** Entries encoded for a replay or a hold, reused when many clients reconnect at once. */
  readonly #encoded = new WeakMap<HubEntry, EncodedEvent>();
  #local: LocalMessage | undefined;
  /** The last cursor encoded: every new subscription gets the same one until an event is published. */
  #cursor: EncodedEvent | undefined;

  constructor(deserializer: (text: string) => unknown, onError: (error: unknown) => void) {
    this.#deserializer = deserializer;
    this.#onError = onError;
  }

  /** Runs `publish` while filters of `message`'s entry can be given its original data. */
  publishing<T>(message: LocalMessage, publish: () => T): T {
    this.#local = message;
    try {
      return publish();
    } finally {
      this.#local = undefined;
    }
  }

  /** One entry from the broker to the subscriptions of its topic. */
  live(entry: HubEntry, subscriptions: Iterable<Subscription<Events>>): void {
    const encoded = this.#encodeLive(entry);
    if (encoded === undefined) return;
    const key = entry.key;
    let message: HubDelivery<Events> | undefined;
    for (const subscription of subscriptions) {
      const phase = subscription.phase;
      if (phase.name === 'gone') continue;
      if (
        phase.name === 'live' &&
        phase.sentUpTo !== undefined &&
        subscription.sentByReplay(entry)
      ) {
        continue;
      }
      // A held entry is filtered as it arrives too: only what the client will get is held, and
      // owed (`sendHeld` does not ask the filter again).
      if (subscription.filter !== undefined) {
        message ??= this.#messageOf(entry);
        if (!this.#accepts(subscription, message)) continue;
      }
      if (phase.name !== 'live') this.#hold(subscription, phase, entry, encoded);
      else if (key === undefined) this.#send(subscription, entry.topic, encoded);
      else this.#sendLatest(subscription, entry.topic, key, encoded);
    }
  }

  /** Sends one entry to one subscription if its filter accepts it; `true` when sent. */
  offer(subscription: Subscription<Events>, entry: HubEntry): boolean {
    if (subscription.filter !== undefined && !this.#accepts(subscription, this.#messageOf(entry))) {
      return false;
    }
    this.#send(subscription, entry.topic, this.#encodedOf(entry));
    return true;
  }

  /**
   * Sends an entry held for `subscription`: its filter took it when it arrived, and its bytes were
   * counted as held then (they stay so if latest values hold it further).
   */
  sendHeld(subscription: Subscription<Events>, entry: HubEntry): void {
    this.#send(subscription, entry.topic, this.#encodedOf(entry), true);
  }

  /** Whether `subscription`'s filter lets `entry` through, without sending it. */
  wants(subscription: Subscription<Events>, entry: HubEntry): boolean {
    return subscription.filter === undefined || this.#accepts(subscription, this.#messageOf(entry));
  }

  /**
   * Tells the client its position, unless this stream was already given it or a later one, or
   * the subscription asked for no cursor.
   */
  sendCursor(subscription: Subscription<Events>, id: string): void {
    if (!subscription.tellsPosition) return;
    const state = subscription.state;
    if (state.position !== undefined && compareIds(id, state.position) <= 0) return;
    state.position = id;
    this.#release(subscription);
    if (this.#cursor?.id !== id) this.#cursor = cursorSignal(id);
    subscription.stream.send(this.#cursor);
  }

  /**
   * Tells the clients of `subscriptions` to refetch their state; their position, and later
   * replays, move to `cursor`. The event is encoded once for all of them.
   */
  sendReset(
    subscriptions: Iterable<Subscription<Events>>,
    cursor: string | undefined,
    reason: ResetReason,
  ): void {
    let reset: EncodedEvent | undefined;
    for (const subscription of subscriptions) {
      const state = subscription.state;
      if (state.resumeFrom !== undefined) state.resumeFrom = cursor;
      // The reset gave the client this position: a cursor for it would tell nothing new.
      if (cursor !== undefined) state.position = cursor;
      this.#release(subscription);
      this.counts.resets += 1;
      reset ??= resetSignal(cursor, reason);
      subscription.stream.send(reset);
    }
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

  #hold(
    subscription: Subscription<Events>,
    phase: Extract<Phase, { name: 'replaying' | 'holding' }>,
    entry: HubEntry,
    encoded: EncodedEvent,
  ): void {
    const held = phase.held;
    if (entry.key !== undefined) {
      // A newer entry of the same topic and key replaces the one held: bounded by the keys.
      const slot = slotOf(entry.topic, entry.key);
      phase.heldLatest ??= new Map();
      phase.heldLatest.delete(slot);
      phase.heldLatest.set(slot, entry);
      this.#encoded.set(entry, encoded);
      return;
    }
    if (subscription.stream[holdBack](encoded.bytes.byteLength, true)) {
      held.push(entry);
      this.#encoded.set(entry, encoded);
      return;
    }
    // Dropped now, it would leave a hole behind the replay that no reset can mark in id order:
    // the client reconnects with its last id instead, whatever `onOverflow` says.
    this.#countOverflows(subscription);
    subscription.stream.close();
  }

  #accepts(subscription: Subscription<Events>, message: HubDelivery<Events>): boolean {
    const filter = subscription.filter;
    if (filter === undefined) return true;
    try {
      return filter(message, subscription.stream) === true;
    } catch (error) {
      this.#onError(error);
      return false;
    }
  }

  /**
   * Sends one event of a plain topic; while latest values are held for the client, it waits
   * behind them (ids stay in order) rather than forcing them out past `maxBufferedBytes`. What
   * waits is held back for the client as a replay's live events are (`held-bytes.ts`, unless
   * already `counted` so): a plain topic flooding a stalled client still overflows it, per
   * `onOverflow`, and one burst never cuts off a client that reads.
   */
  #send(
    subscription: Subscription<Events>,
    topic: string,
    encoded: EncodedEvent,
    counted = false,
  ): void {
    const pending = subscription.state.latest;
    if (pending?.holding !== true) {
      this.#write(subscription, encoded);
      return;
    }
    if (counted || subscription.stream[holdBack](encoded.bytes.byteLength, false)) {
      pending.push(topic, encoded);
      // Behind as the held values are: a replay handing entries on waits for the client.
      subscription.backedUp = true;
      return;
    }
    // Not taken: dropped ('drop'; 'close' closed the stream). A reset waits in its place, so
    // the client learns of the gap where it is, after the events held before it.
    if (this.#countOverflows(subscription) && !subscription.stream.isClosed) {
      pending.dropped(resetSignal(encoded.id, 'events-lost'));
    }
  }

  /**
   * Sends one event of a latest-value topic, or, while the client is behind, holds it in place of
   * the one held for its topic and key: such a client is never cut off for being slow, and gets
   * the newest value of each key once it reads again.
   */
  #sendLatest(
    subscription: Subscription<Events>,
    topic: string,
    key: string,
    encoded: EncodedEvent,
  ): void {
    const state = subscription.state;
    if (state.latest?.holding === true) {
      state.latest.put(topic, key, encoded);
      return;
    }
    this.#write(subscription, encoded);
    if (!subscription.backedUp || subscription.stream.isClosed) return;
    state.latest ??= new PendingLatest();
    state.latest.holding = true;
    this.#flushWhenWritable(subscription, state.latest);
  }

  #flushWhenWritable(subscription: Subscription<Events>, pending: PendingLatest): void {
    if (pending.flushScheduled) return;
    pending.flushScheduled = true;
    subscription.stream[whenWritable]().then(() => {
      pending.flushScheduled = false;
      this.#flush(subscription, pending);
    });
  }

  /**
   * The client reads again: held events go out, oldest first: every plain one (with the values
   * before it, ids in order), judged then as any send is, so the client takes them as fast as it
   * reads; of the values after the last, those its buffer takes. The others stay held, to be
   * replaced by newer ones, until it reads again.
   */
  #flush(subscription: Subscription<Events>, pending: PendingLatest): void {
    if (!pending.holding) return;
    if (subscription.stream.isClosed) {
      pending.clear();
      pending.holding = false;
      return;
    }
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      this.#writePending(subscription, next);
      if (subscription.stream.isClosed) return;
      if (subscription.backedUp && !pending.holdsPlain) {
        this.#flushWhenWritable(subscription, pending);
        return;
      }
    }
    pending.holding = false;
    this.#heldOut(subscription.state);
  }

  /**
   * Sends every held value now, whatever the client's buffer: before an event or signal with a
   * later id, so that the client's ids stay in order and its last id stays a valid resume point.
   */
  #release(subscription: Subscription<Events>): void {
    const state = subscription.state;
    const pending = state.latest;
    if (pending === undefined || !pending.holding) return;
    pending.holding = false;
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      this.#writePending(subscription, next);
    }
    this.#heldOut(state);
  }

  /** Writes one held event; a plain one is no longer owed as held once written. */
  #writePending(subscription: Subscription<Events>, next: PendingEvent): void {
    const { encoded, kind } = next;
    if (kind === 'reset') {
      const state = subscription.state;
      if (this.#taken(subscription, encoded)) {
        state.sent = encoded.id;
        this.counts.resets += 1;
      } else if (!subscription.stream.isClosed) {
        state.dropped = true;
      }
      return;
    }
    this.#write(subscription, encoded);
    if (kind === 'plain') subscription.stream[heldForgotten](encoded.bytes.byteLength);
  }

  /**
   * What latest values held for the stream went out: unless its replay still holds live events,
   * nothing is held back for its client now.
   */
  #heldOut(state: StreamState<Events>): void {
    if (!replayUnderWay(state)) state.stream[heldSent]();
  }

  #write(subscription: Subscription<Events>, encoded: EncodedEvent): void {
    const stream = subscription.stream;
    const counts = this.counts;
    const state = subscription.state;
    // Events this stream dropped are gone from its client: a reset at the last of them says so
    // (refetch your state) before the next event, once the stream takes it.
    if (state.dropped && this.#taken(subscription, resetSignal(state.sent, 'events-lost'))) {
      state.dropped = false;
      counts.resets += 1;
    }
    state.sent = encoded.id;
    if (stream.send(encoded)) {
      subscription.backedUp = false;
      counts.delivered += 1;
      counts.bytes += encoded.bytes.byteLength;
      return;
    }
    // Refused, or queued above the high-water mark: only the rare path looks closer.
    subscription.backedUp = true;
    if (!this.#countOverflows(subscription) && !stream.isClosed) {
      counts.delivered += 1;
      counts.bytes += encoded.bytes.byteLength;
    } else if (!stream.isClosed) {
      state.dropped = true;
    }
  }

  /** Sends a signal; whether the stream took it (queued counts), not dropped or closed. */
  #taken(subscription: Subscription<Events>, signal: EncodedEvent): boolean {
    const stream = subscription.stream;
    if (stream.send(signal)) return true;
    return !this.#countOverflows(subscription) && !stream.isClosed;
  }

  /** Counts the overflows of the subscription's stream since last seen; whether there were any. */
  #countOverflows(subscription: Subscription<Events>): boolean {
    const overflows = subscription.stream.overflows;
    if (overflows === subscription.overflowsSeen) return false;
    this.counts.overflows += overflows - subscription.overflowsSeen;
    subscription.overflowsSeen = overflows;
    return true;
  }

  /**
   * The entry as a filter sees it. Stored data is what a `Hub<Events>` published, so it is typed
   * as the published message was; this is where that trust is stated, once.
   */
  #messageOf(entry: HubEntry): HubDelivery<Events> {
    const local = this.#local;
    const data =
      local !== undefined &&
      local.text === entry.data &&
      local.topic === entry.topic &&
      local.event === entry.event
        ? local.data
        : this.#deserializer(entry.data);
    const delivered = { id: entry.id, topic: entry.topic, event: entry.event, data };
    return delivered as unknown as HubDelivery<Events>;
  }
}

function encodeEntry(entry: HubEntry): EncodedEvent {
  return encodeEvent({ id: entry.id, event: entry.event, data: entry.data });
}
