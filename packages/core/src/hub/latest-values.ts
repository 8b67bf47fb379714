/**
 * Latest-value topics (`createHub({ latestValue })`): each event carries a key, and a subscriber
 * needs only the newest event per key. Here: the check of a publish's key, and what the hub holds
 * for a client that reads slower than events come: one event per topic and key, the newest,
 * in the order of their last updates. Delivery (`delivery.ts`) decides when to hold and flush.
 */
import { checkKnownKeys, notWellFormed, optionalFunction } from '../checks.js';
import type { EncodedEvent } from '../encoded-event.js';
import { inputError } from '../errors.js';
import type { Broker } from './broker.js';
import type { PublishOptions } from './hub-types.js';

/**
 * The key of a publish to `topic`: required on a latest-value topic, refused on another.
 * @throws {TypeError} naming the field and the fix.
 */
export function publishKey(
  topic: string,
  options: PublishOptions,
  latestValue: boolean,
): string | undefined {
  if (options === null || typeof options !== 'object') {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: hub.publish options must be an object like { key: 'AAPL' }, got ${options === null ? 'null' : typeof options}.`,
    );
  }
  checkKnownKeys('hub.publish', options, ['key']);
  const key: unknown = options.key;
  if (!latestValue) {
    if (key === undefined) return undefined;
    throw inputError(
      'ERR_SSE_INVALID_OPTION',
      `ssekit: hub.publish "key" is for latest-value topics, and "${topic}" is not one. Declare it with createHub({ latestValue: (topic) => ... }), or publish without a key.`,
    );
  }
  if (typeof key === 'string' && key !== '') {
    const why = notWellFormed(key);
    if (why === undefined) return key;
    throw inputError('ERR_SSE_INVALID_OPTION', `ssekit: hub.publish "key" ${why}.`);
  }
  throw inputError(
    'ERR_SSE_INVALID_OPTION',
    `ssekit: "${topic}" is a latest-value topic, so hub.publish needs a "key": a non-empty string naming what the event is the latest value of (got ${key === '' ? 'an empty string' : key === null ? 'null' : typeof key}), e.g. hub.publish('${topic}', message, { key: 'AAPL' }).`,
  );
}

/**
 * The hub's `latestValue` option as a predicate; every topic is plain without it.
 * @throws {TypeError} when it is not a function, or the broker keeps no latest values.
 */
export function latestValueTopics(
  latestValue: ((topic: string) => boolean) | undefined,
  broker: Broker,
): (topic: string) => boolean {
  optionalFunction('createHub', 'latestValue', latestValue, '(topic) => boolean');
  if (latestValue === undefined) return noLatestValues;
  if (broker.snapshot === undefined) {
    throw inputError(
      'ERR_SSE_INVALID_OPTION',
      'ssekit: createHub "latestValue" needs a history or broker that keeps the latest event per key (Broker.snapshot); memoryHistory() and redisBroker() do. Pass one of them, or leave "latestValue" out.',
    );
  }
  // A truthy answer counts as true, wherever the hub asks (publish, subscribe, replay).
  return (topic) => Boolean(latestValue(topic));
}

function noLatestValues(): boolean {
  return false;
}

/** One name for a topic and key: the topic's length first, so no two pairs share a name. */
export function slotOf(topic: string, key: string): string {
  return `${topic.length}:${topic}${key}`;
}

/**
 * One event taken out of those pending: a latest `value`, a `plain` topic's event, or the `reset`
 * that stands where plain events were dropped.
 */
export interface PendingEvent {
  readonly encoded: EncodedEvent;
  readonly kind: 'value' | 'plain' | 'reset';
}

/**
 * Events a stream's client has not taken yet while it is behind on a latest-value topic: the
 * newest per topic and key, and every event of a plain topic that came meanwhile (which must
 * follow them, in id order), oldest first. The latest values are bounded by the keys; the plain
 * events by the slow-client policy, to which delivery counts them as held (`held-bytes.ts`).
 */
export class PendingLatest {
  /**
   * By slot; a plain event has a slot of its own (`#`, a count, `:` and its topic), never
   * replaced; so does the reset for a run of plain events dropped (`!` and a count).
   */
  readonly #events = new Map<string, EncodedEvent>();
  #plainCount = 0;
  /** How many plain events (and resets) are held now. */
  #plainHeld = 0;
  /** The slot of the reset for the latest drops, while no plain event was kept after them. */
  #openReset: string | undefined;
  /** Holding: the client was behind when the last event of a latest-value topic came. */
  holding = false;
  /** A flush waits for the client to read (at most one at a time). */
  flushScheduled = false;

  /** Keeps `encoded` in place of the event pending for the same topic and key, moved last. */
  put(topic: string, key: string, encoded: EncodedEvent): void {
    const slot = slotOf(topic, key);
    this.#events.delete(slot);
    this.#events.set(slot, encoded);
  }

  /** Keeps an event of plain `topic` after everything pending. */
  push(topic: string, encoded: EncodedEvent): void {
    this.#keep(`#${this.#plainCount + 1}:${topic}`, encoded);
    this.#openReset = undefined;
  }

  /**
   * A plain event was dropped (`onOverflow: 'drop'`): `reset` (at its id) goes out after what is
   * held now, so the client learns of the gap where it is. A run of drops with no plain event
   * kept between them needs one: the newest replaces the earlier, moved last (only latest values,
   * older, were kept since).
   */
  dropped(reset: EncodedEvent): void {
    if (this.#openReset !== undefined && this.#events.delete(this.#openReset)) {
      this.#plainHeld -= 1;
    }
    this.#openReset = `!${this.#plainCount + 1}`;
    this.#keep(this.#openReset, reset);
  }

  #keep(slot: string, encoded: EncodedEvent): void {
    this.#plainCount += 1;
    this.#plainHeld += 1;
    this.#events.set(slot, encoded);
  }

  /** Forgets what is held for `topic`: the stream no longer has it. Returns the plain bytes dropped. */
  drop(topic: string): number {
    const prefix = slotOf(topic, '');
    let plainBytes = 0;
    for (const [slot, encoded] of this.#events) {
      if (slot.startsWith(prefix)) this.#events.delete(slot);
      else if (slot.startsWith('#') && slot.slice(slot.indexOf(':') + 1) === topic) {
        this.#events.delete(slot);
        this.#plainHeld -= 1;
        plainBytes += encoded.bytes.byteLength;
      }
    }
    return plainBytes;
  }

  /** Whether an event of a plain topic (or a reset) is held. */
  get holdsPlain(): boolean {
    return this.#plainHeld > 0;
  }

  /** The oldest update pending, taken out; `undefined` when none is. */
  shift(): PendingEvent | undefined {
    const first = this.#events.entries().next();
    if (first.done === true) return undefined;
    const [slot, encoded] = first.value;
    this.#events.delete(slot);
    const kind = slot.startsWith('#') ? 'plain' : slot.startsWith('!') ? 'reset' : 'value';
    if (kind !== 'value') this.#plainHeld -= 1;
    return { encoded, kind };
  }

  get size(): number {
    return this.#events.size;
  }

  clear(): void {
    this.#events.clear();
    this.#plainHeld = 0;
    this.#openReset = undefined;
  }
}
