/**
 * The text/event-stream wire format: one message in, one spec-exact event block out.
 * Every field is validated here, so nothing else in ssekit can write an injectable stream.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
 */
import { checkKnownKeys, notWellFormed } from './checks.js';
import { inputError } from './errors.js';

/** The fields of one event block. Every field is optional; `data` is serialized unless a string. */
export interface EventMessage<Data = unknown, Name extends string = string> {
  /** The payload. A string is written as is; anything else goes through the serializer. */
  data?: Data;
  /** The event name (`addEventListener(name)` on the client). Must not contain CR or LF. */
  event?: Name;
  /** The event id; the client echoes it as `Last-Event-ID` when it reconnects. No CR, LF or NUL. */
  id?: string;
  /** The reconnection delay the client should use, in milliseconds. */
  retry?: number;
  /** A comment line; ignored by clients, useful for debugging. Must not contain CR or LF. */
  comment?: string;
}

/** Turns a non-string `data` value into text. Must return a string or throw. */
export type Serializer = (data: unknown) => string;

/** Options of {@link formatEvent}. */
export interface FormatOptions {
  /** Serializer for non-string `data`. Default: `JSON.stringify`. */
  serializer?: Serializer;
}

/** The fields of an {@link EventMessage}: another key (say `evnet`) would be silently dropped. */
const MESSAGE_KEYS: readonly (keyof EventMessage)[] = ['event', 'data', 'id', 'retry', 'comment'];

const LINE_BREAK = /\r\n|\r|\n/;
const HAS_LINE_BREAK = /[\r\n]/;

/**
 * Formats one message as an event block, ending with the blank line that dispatches it.
 *
 * @throws {TypeError} when a field could break the framing (CR/LF in `event`, `id` or `comment`,
 * NUL in `id`, `retry` not a non-negative safe integer) or when `data` cannot be serialized.
 * Nothing is written for a message that throws.
 */
export function formatEvent(message: EventMessage, options: FormatOptions = {}): string {
  if (message === null || typeof message !== 'object') {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: the message must be an object like { data, event, id }, got ${describe(message)}.`,
    );
  }
  checkKnownKeys('a message', message, MESSAGE_KEYS, 'ERR_SSE_INVALID_FIELD');
  let block = '';
  if (message.comment !== undefined) block += commentLine(message.comment);
  if (message.event !== undefined) block += `event: ${eventName(message.event)}\n`;
  if (message.id !== undefined) block += `id: ${eventId(message.id)}\n`;
  if (message.retry !== undefined) block += `retry: ${retryValue(message.retry)}\n`;
  if (message.data !== undefined) block += dataLines(message.data, options.serializer);
  return `${block}\n`;
}

/** Formats a comment line (`: text`). Clients ignore it; proxies see traffic. */
export function formatComment(text = ''): string {
  return `${commentLine(text)}\n`;
}

function commentLine(text: string): string {
  const checked = singleLine('comment', text);
  return checked === '' ? ':\n' : `: ${checked}\n`;
}

/**
 * `name` when it is a valid event name: a string without CR or LF.
 * @throws {TypeError} naming the field and the fix.
 */
export function eventName(name: unknown): string {
  return wellFormed('event', singleLine('event', name));
}

/**
 * The text an event's `data` is sent as: a string as is, anything else through `serializer`.
 * The hub calls it once per publish; `formatEvent` once per event.
 * @throws {TypeError} when the serializer throws or returns something other than a string.
 */
export function dataText(data: unknown, serializer: Serializer = JSON.stringify): string {
  return typeof data === 'string' ? data : serialize(data, serializer);
}

function dataLines(data: unknown, serializer: Serializer | undefined): string {
  const text = dataText(data, serializer);
  let lines = '';
  for (const line of text.split(LINE_BREAK)) lines += `data: ${line}\n`;
  return lines;
}

function serialize(data: unknown, serializer: Serializer): string {
  let text: unknown;
  try {
    text = serializer(data);
  } catch (cause) {
    throw inputError(
      'ERR_SSE_INVALID_FIELD',
      `ssekit: the serializer threw on this event's data (${errorText(cause)}). ` +
        'Send JSON-safe data (no cycles, no BigInt) or pass a serializer that handles it.',
      { cause },
    );
  }
  if (typeof text !== 'string') {
    throw inputError(
      'ERR_SSE_INVALID_FIELD',
      `ssekit: the serializer returned ${describe(text)} instead of a string for this event's data ` +
        `(${describe(data)}). Send a value it can serialize, or omit data.`,
    );
  }
  return text;
}

function singleLine(field: 'event' | 'comment' | 'id', value: unknown): string {
  if (typeof value !== 'string') {
    throw inputError(
      'ERR_SSE_INVALID_FIELD',
      `ssekit: "${field}" must be a string, got ${describe(value)}.`,
    );
  }
  if (HAS_LINE_BREAK.test(value)) {
    throw inputError(
      'ERR_SSE_INVALID_FIELD',
      `ssekit: "${field}" must not contain CR or LF (it would inject fields into the stream). ` +
        'Remove the line breaks, or put multi-line text in "data".',
    );
  }
  return value;
}

/** An event name or id is matched by the client: it must arrive as sent, not with U+FFFD. */
function wellFormed(field: 'event' | 'id', value: string): string {
  const why = notWellFormed(value);
  if (why !== undefined) throw inputError('ERR_SSE_INVALID_FIELD', `ssekit: "${field}" ${why}.`);
  return value;
}

function eventId(value: unknown): string {
  const id = wellFormed('id', singleLine('id', value));
  if (id.includes('\0')) {
    throw inputError(
      'ERR_SSE_INVALID_FIELD',
      'ssekit: "id" must not contain NUL (clients ignore such ids). Remove it.',
    );
  }
  return id;
}

function retryValue(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw inputError(
      'ERR_SSE_INVALID_FIELD',
      `ssekit: "retry" must be a non-negative whole number of milliseconds, got ${describe(value)}.`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'bigint') return 'a bigint';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return typeof value === 'undefined' ? 'undefined' : `${typeof value} ${String(value)}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
