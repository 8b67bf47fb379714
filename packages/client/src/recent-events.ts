/**
 * What a tab sharing a stream remembers of the events it handled: their ids, so that an event
 * reaching it twice (from two leaders, or from its own connection and the channel) is handled
 * once; and the latest events themselves, so that it can give a tab that missed some (one that
 * could not run while it lost the lead) what came after that tab's last id.
 */
import type { WireEvent } from './host.js';

/** How many recent ids a tab remembers to drop an event it got twice. */
const REMEMBERED_IDS = 1024;
/** How many recent events a tab keeps for others, and at most how many characters of data. */
const KEPT_EVENTS = 256;
const KEPT_CHARACTERS = 1_048_576;

export class RecentEvents {
  readonly #ids = new Set<string>();
  readonly #events: WireEvent[] = [];
  #characters = 0;

  /** True the first time an event (by id) comes; an event without id always is new. */
  accept(event: WireEvent): boolean {
    const { id } = event;
    if (id === undefined || id === '') return true;
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > REMEMBERED_IDS) this.#ids.delete(this.#ids.values().next().value ?? '');
    this.#events.push(event);
    this.#characters += event.data.length;
    while (this.#events.length > KEPT_EVENTS || this.#characters > KEPT_CHARACTERS) {
      this.#characters -= this.#events.shift()?.data.length ?? 0;
    }
    return true;
  }

  /** True when the event `id` came lately (among the remembered ids). */
  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** The kept events after `id`, in order; undefined when `id` is not among them. */
  after(id: string): WireEvent[] | undefined {
    const index = this.#events.findIndex((event) => event.id === id);
    return index < 0 ? undefined : this.#events.slice(index + 1);
  }
}
