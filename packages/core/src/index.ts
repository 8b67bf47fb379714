export { acceptsEventStream } from './accept.js';
export { checkKnownKeys, optionalFunction } from './checks.js';
export { EncodedEvent, encodeEvent } from './encoded-event.js';
export { SsekitError, type SsekitErrorCode } from './errors.js';
export {
  type EventMessage,
  type FormatOptions,
  formatComment,
  formatEvent,
  type Serializer,
} from './format.js';
export { sseHeaders } from './headers.js';
export { heartbeatRegistry } from './heartbeat.js';
export type {
  Broker,
  BrokerListener,
  HubEntry,
  PublishedEntry,
  ReplayPage,
} from './hub/broker.js';
export { MAX_HELD_EVENTS } from './hub/delivery.js';
export type { History } from './hub/history.js';
export { createHub, Hub } from './hub/hub.js';
export type {
  HubCloseOptions,
  HubDelivery,
  HubFilter,
  HubMessage,
  HubOptions,
  HubStats,
  SubscribeOptions,
} from './hub/hub-types.js';
export { compareIds, isHubId } from './hub/ids.js';
export { type LocalBrokerOptions, localBroker } from './hub/local-broker.js';
export { type MemoryHistoryOptions, memoryHistory } from './hub/memory-history.js';
export { CURSOR_EVENT, DENIED_EVENT, type HubSignals, RESET_EVENT } from './hub/signals.js';
export { MAX_LAST_EVENT_ID_LENGTH, readLastEventId } from './last-event-id.js';
export { isPromiseLike } from './promise-like.js';
export { resolveStreamOptions } from './resolve-stream-options.js';
export {
  createSseResponse,
  runHandler,
  type SseHandler,
  type SseResponseOptions,
} from './response.js';
export {
  createSseStream,
  type EventMap,
  type MessageOf,
  type OverflowPolicy,
  SSE_STREAM_OPTION_KEYS,
  SseStream,
  type SseStreamOptions,
} from './sse-stream.js';
export type { SseStreamHandle } from './sse-stream-handle.js';
