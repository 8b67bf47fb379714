/**
 * The client an app holds: typed handlers and iteration over decoded events, the hub's signals
 * handled, its state for rendering, and `close()`. How it connects (alone, or the `connection`
 * option: pausing while hidden, shared with other tabs) is chosen once at creation.
 */
import type { EventMap, HubSignals } from '@ssekit/core';
import { SseClientError } from './errors.js';
import type { ClientState, Ending, Host, WireEvent } from './host.js';
import { type ClientOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { connectUntilDone } from './reconnect.js';
import { loadPosition, savePosition } from './session-position.js';
import { CURSOR_EVENT, DENIED_EVENT, RESET_EVENT } from './signals.js';

/** One decoded event, as `for await` yields it: the name tells the payload's type. */
export type ClientEvent<Events extends EventMap = EventMap> = {
  [Name in keyof Events & string]: { event: Name; data: Events[Name]; id: string | undefined };
}[keyof Events & string];

/** A handler of one event: its decoded payload, and the event's name and id. */
export type EventHandler<Events extends EventMap, Name extends keyof Events & string> = (
  data: Events[Name],
  event: { event: Name; id: string | undefined },
) => void;

type AnyHandler = (data: unknown, event: { event: string; id: string | undefined }) => void;

interface Inbox {
  queue: Array<ClientEvent<EventMap>>;
  /** The `next()` calls waiting, each woken to look at the queue again. */
  waiting: Array<() => void>;
}

function wake(inbox: Inbox): void {
  for (const resolve of inbox.waiting.splice(0)) resolve();
}

/**
 * A connection to one event stream that comes back after losses. Create it with
 * {@link createClient}. `Events` maps each event name to its payload, the same map the server's
 * stream or hub is typed with.
 */
export class SseClient<Events extends EventMap = EventMap> {
  readonly #options: ResolvedOptions;
  readonly #stop = new AbortController();
  readonly #handlers = new Map<string, Set<AnyHandler>>();
  readonly #listeners = new Set<() => void>();
  readonly #inboxes = new Set<Inbox>();
  #state: ClientState = 'connecting';
  #error: SseClientError | undefined;
  #position: string | undefined;

  constructor(url: string | URL, options?: ClientOptions) {
    const resolved = resolveOptions(url instanceof URL ? String(url) : url, options);
    this.#options = resolved;
    this.#position =
      (resolved.resume === 'session' ? loadPosition(resolved.url) : undefined) ??
      resolved.lastEventId;
    const host: Host = {
      options: resolved,
      position: () => this.#position || undefined,
      receive: (event) => this.#receive(event),
      moveTo: (id) => this.#moveTo(id),
      setState: (state) => this.#setState(state),
    };
    // Removed at the end: an app's signal may outlive many clients.
    resolved.signal?.addEventListener('abort', () => this.close(), { signal: this.#stop.signal });
    if (resolved.signal?.aborted) this.close();
    else this.#run(host).then((ending) => this.#end(ending));
  }

  /** `connecting`, `open`, `retrying` (waiting to reconnect), `paused` (hidden page), `closed`. */
  get state(): ClientState {
    return this.#state;
  }

  /** Why the client closed, when something closed it; undefined after `close()` or a 204. */
  get error(): SseClientError | undefined {
    return this.#error;
  }

  /** The last event id received (or resumed from); sent as `Last-Event-ID` on reconnect. */
  get lastEventId(): string | undefined {
    return this.#position || undefined;
  }

  /**
   * Calls `handler` with the decoded payload of each `name` event (`message` for events without
   * a name). Returns the function that removes it.
   * @throws {TypeError} when `name` is not a non-empty string or `handler` not a function.
   */
  on<Name extends keyof Events & string>(
    name: Name,
    handler: EventHandler<Events, Name>,
  ): () => void {
    if (typeof name !== 'string' || name === '' || typeof handler !== 'function') {
      throw new TypeError(`ssekit/client: client.on needs an event name and a function`);
    }
    const set = this.#handlers.get(name) ?? new Set();
    this.#handlers.set(name, set);
    set.add(handler as AnyHandler);
    return () => set.delete(handler as AnyHandler);
  }

  /** Calls `listener` on every state change; returns the unsubscribe (`useSyncExternalStore`). */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** The current state, for `useSyncExternalStore(client.subscribe, client.getSnapshot)`. */
  getSnapshot = (): ClientState => this.#state;

  /** Closes the connection for good; handlers get nothing more, iterations end. Idempotent. */
  close(): void {
    this.#end();
  }

  /**
   * Every decoded event, in order. Ending the loop (`break`, `return`, a throw) closes the client;
   * when something closed it (see {@link SseClient.error}), the loop throws that error. Events
   * wait in the loop's queue, unbounded, while the loop's body runs: keep it quick.
   */
  [Symbol.asyncIterator](): AsyncIterator<ClientEvent<Events>> {
    const inbox: Inbox = { queue: [], waiting: [] };
    this.#inboxes.add(inbox);
    const finish = (): IteratorReturnResult<undefined> => {
      this.#inboxes.delete(inbox);
      return { done: true, value: undefined };
    };
    return {
      next: async () => {
        while (inbox.queue.length === 0 && this.#state !== 'closed') {
          await new Promise<void>((resolve) => inbox.waiting.push(resolve));
        }
        const value = inbox.queue.shift() as ClientEvent<Events> | undefined;
        if (value !== undefined) return { done: false, value };
        if (this.#error !== undefined && this.#inboxes.has(inbox)) {
          finish();
          throw this.#error;
        }
        return finish();
      },
      return: async () => {
        this.close();
        return finish();
      },
    };
  }

  /** A connection mode runs the reconnect loop its own way; without one, the loop runs as is. */
  #run(host: Host): Promise<Ending | undefined> {
    return (this.#options.connection ?? connectUntilDone)(
      host,
      this.#stop.signal,
      connectUntilDone,
    );
  }

  #end(ending?: Ending): void {
    if (this.#state === 'closed') return;
    this.#error = ending?.error;
    this.#stop.abort();
    for (const inbox of this.#inboxes) wake(inbox);
    this.#setState('closed');
    if (this.#error !== undefined) this.#report(this.#error);
  }

  #setState(state: ClientState): void {
    if (state === this.#state || this.#state === 'closed') return;
    this.#state = state;
    for (const listener of [...this.#listeners])
      if (this.#listeners.has(listener)) this.#call(listener);
  }

  #receive({ event = 'message', data, id }: WireEvent): void {
    // Its id moved the position already (Host.moveTo, before the event).
    if (this.#state === 'closed') return;
    // The hub's signals are for the client: the cursor only moves the position.
    if (event === CURSOR_EVENT) return;
    if (event === RESET_EVENT) {
      this.#call(() => this.#options.onReset?.(data as HubSignals['ssekit:reset']));
      return;
    }
    if (event === DENIED_EVENT) {
      this.#call(() => this.#options.onDenied?.(data));
      return;
    }
    const handlers = this.#handlers.get(event);
    if (handlers === undefined && this.#inboxes.size === 0) return;
    let payload: unknown;
    try {
      // JSON.parse ignores the second argument (the name): a reviver only when a function.
      const decode = this.#options.decode ?? (JSON.parse as (data: string) => unknown);
      payload = decode(data, event);
    } catch (cause) {
      const message = `"${event}" event ${id ?? ''} not decoded (${cause}): skipped; pass decode for data not JSON.`;
      this.#report(new SseClientError('ERR_SSE_DECODE', message, { cause }));
      return;
    }
    // As EventTarget does: a handler added while this event is handled gets the next one; one
    // removed (or the client closed) by an earlier handler gets nothing more.
    for (const handler of [...(handlers ?? [])]) {
      if (this.state !== 'closed' && handlers?.has(handler)) {
        this.#call(() => handler(payload, { event, id }));
      }
    }
    if (this.state === 'closed') return;
    for (const inbox of this.#inboxes) {
      inbox.queue.push({ event, data: payload, id });
      wake(inbox);
    }
  }

  #moveTo(id: string): void {
    if (this.#state === 'closed') return;
    this.#position = id;
    if (this.#options.resume === 'session') savePosition(this.#options.url, id);
  }

  /** Runs an app's callback (a handler, a listener); what it throws is reported, never breaks the stream. */
  #call(callback: () => void): void {
    try {
      callback();
    } catch (cause) {
      const message = `a handler threw: ${cause}`;
      this.#report(new SseClientError('ERR_SSE_HANDLER', message, { cause }));
    }
  }

  #report(error: SseClientError): void {
    try {
      this.#options.onError?.(error);
    } catch {}
  }
}

/**
 * Opens a client on `url`: fetch-based, typed by `Events`, reconnecting with `Last-Event-ID`.
 * @throws {TypeError} for a malformed URL, an unknown option key or an invalid option value.
 */
export function createClient<Events extends EventMap = EventMap>(
  url: string | URL,
  options?: ClientOptions,
): SseClient<Events> {
  return new SseClient<Events>(url, options);
}
