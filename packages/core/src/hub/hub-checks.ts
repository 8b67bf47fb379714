/** Input checks of the hub: bad input throws a TypeError naming the field and the fix. */
import { checkKnownKeys, fieldName, notWellFormed, optionalFunction } from '../checks.js';
import { inputError, SsekitError } from '../errors.js';
import type { EventMap } from '../sse-stream.js';
import type { HubFilter, HubOptions } from './hub-types.js';

/** Every key of {@link HubOptions}: any other is a misspelling and throws. */
export const HUB_OPTION_KEYS: readonly (keyof HubOptions)[] = [
  'authorize',
  'history',
  'broker',
  'maxConnections',
  'busyRetry',
  'serializer',
  'deserializer',
  'onError',
  'latestValue',
];

/** The options of `createHub` as a whole; each value's range is checked where it is read. */
export function checkHubOptions<Context>(options: HubOptions<Context>): void {
  checkKnownKeys('createHub', options, HUB_OPTION_KEYS);
  optionalFunction('createHub', 'onError', options.onError, '(error) => void');
  optionalFunction('createHub', 'authorize', options.authorize, '(topic, context) => boolean');
  optionalFunction('createHub', 'serializer', options.serializer, '(data) => string');
  optionalFunction('createHub', 'deserializer', options.deserializer, '(text) => data');
  checkShape('history', options.history, ['append', 'entriesAfter'], 'memoryHistory()');
  checkShape(
    'broker',
    options.broker,
    ['publish', 'subscribe', 'replay', 'cursor', 'close'],
    'redisBroker({ client, key }) from @ssekit/redis',
  );
  if (options.broker !== undefined && options.history !== undefined) {
    throw inputError(
      'ERR_SSE_INVALID_OPTION',
      'ssekit: pass "history" or "broker" to createHub, not both; a broker keeps its own history.',
    );
  }
}

/** `value`, when given, has each of `methods` as a function; else a TypeError naming the first missing. */
function checkShape(field: string, value: unknown, methods: readonly string[], example: string) {
  if (value === undefined) return;
  const missing = methods.find(
    (method) => typeof (value as Record<string, unknown> | null)?.[method] !== 'function',
  );
  if (missing === undefined) return;
  throw inputError(
    'ERR_SSE_INVALID_OPTION',
    `ssekit: ${fieldName('createHub', field)} must be an object with ${missing}() as a method, such as ${example}; got ${value === null ? 'null' : typeof value}.`,
  );
}

/** What a publish after `hub.close()` rejects with. */
export function hubClosedError(): SsekitError {
  return new SsekitError(
    'ERR_SSE_HUB_CLOSED',
    'ssekit: the hub is closed; publish before hub.close().',
  );
}

export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic === '') {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: a topic must be a non-empty string, got ${topic === '' ? 'an empty string' : typeof topic}. Name the topic, e.g. 'prices'.`,
    );
  }
  const why = notWellFormed(topic);
  if (why !== undefined) {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: the topic ${JSON.stringify(topic)} ${why}.`,
    );
  }
}

export function checkTopics(topics: unknown): readonly string[] {
  const list = typeof topics === 'string' ? [topics] : topics;
  if (!Array.isArray(list) || list.length === 0) {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      'ssekit: subscribe needs a topic or a non-empty array of topics, e.g. hub.subscribe(stream, ["prices"]).',
    );
  }
  for (const topic of list) checkTopic(topic);
  return [...new Set(list as string[])];
}

export function checkMessage(message: unknown): { event: string | undefined; data: unknown } {
  if (message === null || typeof message !== 'object') {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      'ssekit: publish takes a message like { event, data }; pass an object with at least "data".',
    );
  }
  const { event, data, ...rest } = message as { event?: string; data?: unknown };
  const extra = Object.keys(rest).filter(
    (key) => (rest as Record<string, unknown>)[key] !== undefined,
  );
  if (extra.length > 0) {
    throw inputError(
      'ERR_SSE_INVALID_FIELD',
      `ssekit: publish takes only "event" and "data", got "${extra.join('", "')}". The hub assigns ids; send retry or comments with stream.send.`,
    );
  }
  if (data === undefined) {
    throw inputError(
      'ERR_SSE_INVALID_FIELD',
      'ssekit: publish needs "data" (clients ignore an event without data).',
    );
  }
  return { event, data };
}

/** `hub.subscribe`'s options: an object, with only the keys it knows. */
export function checkSubscribeOptions(options: unknown): void {
  if (options === null || typeof options !== 'object') {
    throw inputError(
      'ERR_SSE_INVALID_ARGUMENT',
      `ssekit: hub.subscribe options must be an object like { filter, cursor, context }, got ${options === null ? 'null' : typeof options}. Pass an object, or leave the argument out.`,
    );
  }
  checkKnownKeys('hub.subscribe', options, ['filter', 'cursor', 'context']);
}

export function checkCursor(cursor: unknown): boolean {
  if (cursor === undefined) return true;
  if (typeof cursor === 'boolean') return cursor;
  throw inputError(
    'ERR_SSE_INVALID_OPTION',
    `ssekit: hub.subscribe "cursor" must be true or false, got ${cursor === null ? 'null' : typeof cursor}; pass false for clients that never resume, or leave it out.`,
  );
}

export function checkFilter<Events extends EventMap>(
  filter: HubFilter<Events> | undefined,
): HubFilter<Events> | undefined {
  if (filter === undefined || typeof filter === 'function') return filter;
  throw inputError(
    'ERR_SSE_INVALID_OPTION',
    `ssekit: "filter" must be a function (message, stream) => boolean, got ${typeof filter}.`,
  );
}
