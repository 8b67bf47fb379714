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
 * The messages a stream typed with `Events` accepts: for a typed map, `event` must be one of its
 * names and `data` that event's payload; for the default map, any {@link EventMessage}.
 */
export type MessageOf<Events extends EventMap> = string extends keyof Events
  ? EventMessage
  : TypedMessage<Events>;
