/**
 * The message types a stream accepts, derived from its event map: a typed stream takes only the
 * events it declares, each with its own payload type.
 */
import type { EventMessage } from './format.js';

/** Event names mapped to their payload types, e.g. `{ tick: { t: number }; alert: Alert }`. */
export type EventMap = Record<string, unknown>;

interface MessageExtras {
  id?: string;
  retry?: number;
  comment?: string;
}

type TypedMessage<Events extends EventMap> = {
  [Name in keyof Events & string]: Name extends 'message'
    ? MessageExtras & { event?: Name; data: Events[Name] }
    : MessageExtras & { event: Name; data: Events[Name] };
}[keyof Events & string];

/**
 * One message, the one type for everything that sends (`send`, `write`, `pipe`, `encodeEvent`):
 * `{ data, event?, id?, retry?, comment? }`. For a map typed with `Events`, `event` must be one
 * of its names and `data` that event's payload; for the default map, any event name and data.
 */
export type SseMessage<Events extends EventMap = EventMap> = string extends keyof Events
  ? EventMessage
  : TypedMessage<Events>;
