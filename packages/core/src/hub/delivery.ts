/**
 * Getting entries to subscribers: each live entry encoded once for all of them, held for those
 * still replaying, passed through filters, and counted for `stats()`. Also the two signals the
 * hub sends of its own, the cursor and the reset.
 *
 * Hot path (one entry delivered by the broker): one `encodeEvent`, then one `stream.send` of the
 * same bytes per subscriber. No closure, promise or allocation per subscriber.
 */
import { type EncodedEvent, encodeEvent } from '../encoded-event.js';
import type { EventMap } from '../sse-stream.js';
import type { HubEntry } from './broker.js';
import type { HubDelivery, HubFilter } from './hub-types.js';
import { compareIds } from './ids.js';
import { LIVE, type Subscriber } from './subscriber.js';

/** The event a client gets when its `Last-Event-ID` cannot be replayed: refetch your state. */
export const RESET_EVENT = 'ssekit:reset';
/** The event that hands a new subscriber its position, so a reconnect resumes from there. */
export const CURSOR_EVENT = 'ssekit:cursor';
/**
 * Live events held for one subscriber while its replay runs. A client that reads so slowly that
 * more pile up is closed; it reconnects with its last id and resumes from there.
 */
export const MAX_HELD_EVENTS = 10_000;

/** The `data` of a {@link RESET_EVENT}: why the client must refetch its state. */
export type ResetReason = 'unknown-id' | 'events-lost';

/** The last locally published message, to give filters the original data without a parse. */
export interface LocalMessage {
  readonly topic: string;
  readonly event: string | undefined;
  readonly text: string;
  readonly data: unknown;
}

/** What delivery has done since the hub was created; `stats()` reports it. */
export interface DeliveryCounts {
  delivered: number;
  bytes: number;
  overflows: number;
  replays: number;
  resets: number;
}

export class Delivery {
  readonly counts: DeliveryCounts = { delivered: 0, bytes: 0, overflows: 0, replays: 0, resets: 0 };
  readonly #deserializer: (text: string) => unknown;
  readonly #onError: (error: unknown) => void;
  /** Entries encoded for a replay or a hold, reused when many clients reconnect at once. */
  readonly #encoded = new WeakMap<HubEntry, EncodedEvent>();
  #local: LocalMessage | undefined;
  #cursorEvent: EncodedEvent | undefined;

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

  /** One entry from the broker to the subscribers of its topic. */
  live(entry: HubEntry, subscribers: Iterable<Subscriber>): void {
    const encoded = this.#encodeLive(entry);
    if (encoded === undefined) return;
    let message: HubDelivery<EventMap> | undefined;
    for (const subscriber of subscribers) {
      const phase = subscriber.phase;
      if (phase.name !== 'live') {
        if (phase.name === 'replaying') this.#hold(subscriber, phase.held, entry, encoded);
        continue;
      }
      if (phase.sentUpTo !== undefined && this.#alreadySent(subscriber, phase.sentUpTo, entry)) {
        continue;
      }
      if (subscriber.filter !== undefined) {
        message ??= this.#messageOf(entry);
        if (!this.#accepts(subscriber, message)) continue;
      }
      this.#send(subscriber, encoded);
    }
  }

  /** Sends one entry to one subscriber if its filter accepts it; `true` when sent. */
  offer(subscriber: Subscriber, entry: HubEntry): boolean {
    if (subscriber.filter !== undefined && !this.#accepts(subscriber, this.#messageOf(entry))) {
      return false;
    }
    this.#send(subscriber, this.#encodedOf(entry));
    return true;
  }

  /** Tells the client its position, unless this stream was already given it or a later one. */
  sendCursor(subscriber: Subscriber, id: string): void {
    const record = subscriber.record;
    if (record.position !== undefined && compareIds(id, record.position) <= 0) return;
    record.position = id;
    if (this.#cursorEvent?.id !== id) {
      this.#cursorEvent = encodeEvent({ event: CURSOR_EVENT, id, data: '' });
    }
    subscriber.stream.send(this.#cursorEvent);
  }

  /** Tells the client to refetch its state; its position, and later replays, move to `cursor`. */
  sendReset(subscriber: Subscriber, cursor: string | undefined, reason: ResetReason): void {
    const record = subscriber.record;
    if (record.resumeFrom !== undefined) record.resumeFrom = cursor;
    this.counts.resets += 1;
    subscriber.stream.send(encodeEvent({ event: RESET_EVENT, id: cursor, data: reason }));
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
  #alreadySent(subscriber: Subscriber, sentUpTo: string, entry: HubEntry): boolean {
    if (compareIds(entry.id, sentUpTo) <= 0) return true;
    subscriber.phase = LIVE;
    return false;
  }

  #hold(subscriber: Subscriber, held: HubEntry[], entry: HubEntry, encoded: EncodedEvent): void {
    if (held.length < MAX_HELD_EVENTS) {
      held.push(entry);
      this.#encoded.set(entry, encoded);
      return;
    }
    this.counts.overflows += 1;
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
    const counts = this.counts;
    if (stream.send(encoded)) {
      subscriber.backedUp = false;
      counts.delivered += 1;
      counts.bytes += encoded.bytes.byteLength;
      return;
    }
    // Refused, or queued above the high-water mark: only the rare path looks closer.
    subscriber.backedUp = true;
    const overflows = stream.overflows;
    if (overflows !== subscriber.overflowsSeen) {
      counts.overflows += overflows - subscriber.overflowsSeen;
      subscriber.overflowsSeen = overflows;
    } else if (!stream.isClosed) {
      counts.delivered += 1;
      counts.bytes += encoded.bytes.byteLength;
    }
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
}

function encodeEntry(entry: HubEntry): EncodedEvent {
  return encodeEvent({ id: entry.id, event: entry.event, data: entry.data });
}
