/**
 * The state the hub keeps per stream and per subscription. Explicit phases instead of flags:
 * what delivery does with a subscriber depends on its phase alone, and each phase carries the
 * data it needs.
 */
import type { EventMap, SseStream } from '../sse-stream.js';
import type { HubEntry } from './broker.js';
import type { HubFilter } from './hub-types.js';

/**
 * - `replaying`: its replay runs; live entries wait in `held` (in id order) until it is sent;
 *   `coveredTo` is the last entry the replay has handed on (sent, or refused by the filter).
 * - `live`: gets entries as they come; with `sentUpTo`, its replay reached further than live
 *   delivery had, so live entries up to that id were already sent and are skipped once.
 * - `gone`: unsubscribed; a replay under way stops at its next step.
 */
export type Phase =
  | { readonly name: 'replaying'; readonly held: HubEntry[]; coveredTo: string | undefined }
  | { readonly name: 'live'; readonly sentUpTo: string | undefined }
  | { readonly name: 'gone' };

/** The live phase of nearly every subscriber: shared, since it carries nothing of its own. */
export const LIVE: Phase = Object.freeze({ name: 'live', sentUpTo: undefined });
export const GONE: Phase = Object.freeze({ name: 'gone' });

/**
 * One stream as the hub knows it, kept (weakly) for as long as the stream exists, so its one
 * `closed` listener is attached once however often the stream subscribes and unsubscribes.
 */
export interface StreamRecord {
  readonly stream: SseStream<EventMap>;
  /** Each topic the stream is subscribed to: the subscriber delivering it, and its holders. */
  readonly topics: Map<string, TopicHold>;
  /** The last cursor sent, so another subscribe sends one only when the position moved on. */
  position: string | undefined;
  /**
   * Where the replay of a topic new to this stream starts: its `Last-Event-ID`, or the position
   * a reset gave it. `undefined` for a stream that did not resume: its topics start live.
   */
  resumeFrom: string | undefined;
  /**
   * Topics whose replay reached live delivery on this stream: subscribed again, they continue
   * live. A topic enters only once its replay has finished, never when it starts.
   */
  replayed: Set<string> | undefined;
  /**
   * Topics left while their replay ran, with the last entry that replay handed on: subscribed
   * again, their replay continues after it, so nothing is lost and nothing sent twice.
   */
  replayedTo: Map<string, string> | undefined;
}

/** A topic of one stream: delivered once, however many `subscribe` calls asked for it. */
export interface TopicHold {
  readonly subscriber: Subscriber;
  /** The `subscribe` calls holding the topic whose unsubscribe function has not run yet. */
  calls: number;
}

/** The delivery of some topics to one stream, through one filter. */
export interface Subscriber {
  readonly stream: SseStream<EventMap>;
  readonly record: StreamRecord;
  /** The topics this subscriber delivers; it is gone once none is left. */
  readonly topics: Set<string>;
  readonly filter: HubFilter<EventMap> | undefined;
  phase: Phase;
  /** The last send found the client's buffer above its high-water mark. */
  backedUp: boolean;
  /** `stream.overflows` when last looked at, to count new overflows without a read per send. */
  overflowsSeen: number;
}

/** Whether a replay under way should stop: unsubscribed, or the stream closed. */
export function isGone(subscriber: Subscriber): boolean {
  return subscriber.phase === GONE || subscriber.stream.isClosed;
}
