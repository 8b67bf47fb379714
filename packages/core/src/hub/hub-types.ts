/** The public types of the hub: what goes in, what filters see, what stats report. */

import type { Serializer } from '../format.js';
import type { EventMap, SseStream } from '../sse-stream.js';
import type { Broker } from './broker.js';
import type { History } from './history.js';

/** What `publish` takes: an event name (omit for `message`) and its data. */
export type HubMessage<Events extends EventMap = EventMap> = string extends keyof Events
  ? { event?: string; data: unknown }
  : {
      [Name in keyof Events & string]: Name extends 'message'
        ? { event?: Name; data: Events[Name] }
        : { event: Name; data: Events[Name] };
    }[keyof Events & string];

/** A published event as a filter sees it: the message plus its topic and id. */
export type HubDelivery<Events extends EventMap = EventMap> = HubMessage<Events> & {
  readonly id: string;
  readonly topic: string;
};

/** Decides per subscriber whether an event goes to it (per-user notifications, for example). */
export type HubFilter<Events extends EventMap = EventMap> = (
  message: HubDelivery<Events>,
  stream: SseStream<Events>,
) => boolean;

/** Options of {@link Hub.subscribe}. */
export interface SubscribeOptions<Events extends EventMap = EventMap, Context = unknown> {
  /**
   * What the hub's `authorize` is asked with for each topic of this call: the user, the token's
   * claims. Required by nothing; `authorize` gets `undefined` without it.
   */
  context?: Context;
  /** Returns `false` to skip an event for this subscriber. Called once per event and subscriber. */
  filter?: HubFilter<Events>;
  /**
   * Whether the stream is told its position with the `ssekit:cursor` event (`CURSOR_EVENT`).
   * Default `true`: an EventSource (or `@ssekit/client`) that connects, gets nothing and
   * reconnects would otherwise miss what was published meanwhile, and the hub cannot tell such
   * a client from one that never reconnects. Pass `false` for clients that never resume (a
   * one-shot `fetch` reader, `curl`, a server reading a feed), so they get only what is
   * published; the reset signal is sent either way.
   */
  cursor?: boolean;
}

/** Options of {@link createHub}. Every field is optional. */
export interface HubOptions<Context = unknown> {
  /**
   * Asked about every topic of every `subscribe` call, a resume included, before anything of the
   * topic is replayed or delivered, with the call's `context`. Return (or resolve to) `true` to
   * allow; anything else, a throw or a rejection refuses: the client gets a `ssekit:denied`
   * event (`DENIED_EVENT`) whose data is the topic, and nothing of it. A stream left with no
   * topic is closed with the `busyRetry` hint. With a synchronous answer the subscription starts
   * at once; with an async one it starts once every topic is decided (a resuming client replays
   * from its id then, so it misses nothing). For rules per event, use the subscription's `filter`.
   */
  authorize?: (topic: string, context: Context) => boolean | Promise<boolean>;
  /**
   * Which topics are latest-value topics: `true` for a topic (a price ticker, a dashboard's
   * metrics) whose subscribers need only the newest event per key, not every one. Each publish to
   * such a topic names its key (`hub.publish(topic, message, { key })`). A subscriber that falls
   * behind gets, once it reads again, only the newest event of each key that changed meanwhile,
   * in the order of their last updates, instead of being cut off by `onOverflow`: what the hub
   * holds for it is bounded by the number of keys. A subscriber, new or resuming with its
   * `Last-Event-ID`, first gets the latest event of each key (of those newer than its id), then
   * live events. Asked once per topic per publish and subscribe; keep it cheap and stable for a
   * topic. Default: no topic is. Needs a history or broker that keeps the latest entry per key
   * (`memoryHistory()` and `redisBroker()` do). A truthy answer counts as `true`.
   */
  latestValue?: (topic: string) => boolean;
  /** Where events are kept for replay. Default `memoryHistory()`. Not with `broker`. */
  history?: History;
  /** Storage and fan-out, e.g. `redisBroker()` from `@ssekit/redis`; `hub.close()` closes it. Default: in-process. */
  broker?: Broker;
  /** The most streams the hub serves at once; past it new clients are told to retry later. Default: no limit. */
  maxConnections?: number;
  /** The reconnection delay (ms) given to clients turned away by `maxConnections`. Default 10000. */
  busyRetry?: number;
  /** Serializer for non-string `data`, called once per publish. Default `JSON.stringify`. */
  serializer?: Serializer;
  /**
   * Turns stored data text back into a value for filters, once per event, for events published
   * by another process (or replayed). Default `JSON.parse`, falling back to the text itself.
   */
  deserializer?: (text: string) => unknown;
  /** Receives replay failures and filter errors. Default `console.error`. */
  onError?: (error: unknown) => void;
}

/** Options of {@link Hub.publish}. */
export interface PublishOptions {
  /**
   * The event's key on a latest-value topic (see `latestValue` in {@link HubOptions}): a
   * non-empty string, such as the symbol or the sensor id. The event replaces the previous one
   * with the same key. Required on latest-value topics, refused on others.
   */
  key?: string;
}

/** Options of {@link Hub.close}. */
export interface HubCloseOptions {
  /** Reconnection delay (ms) sent to every client before its stream closes. */
  retry?: number;
}

/** A snapshot of what the hub has done since it was created. */
export interface HubStats {
  /** Streams subscribed right now. */
  openStreams: number;
  /** Subscriptions per topic right now. */
  subscribers: Record<string, number>;
  /** Events this hub published (resolved `publish` calls). */
  eventsPublished: number;
  /** Events queued to a stream, live and replayed. */
  eventsDelivered: number;
  /** Bytes of those events. */
  bytesDelivered: number;
  /** Sends refused because a client's buffer was full (the stream's `onOverflow` applied). */
  overflows: number;
  /** Replays completed for reconnecting clients. */
  replaysServed: number;
  /** Reset signals sent (unknown or expired `Last-Event-ID`, or events lost by the broker). */
  resetsSent: number;
  /** Clients turned away by `maxConnections` or because the hub was closing. */
  connectionsRejected: number;
}
