/**
 * `@ssekit/core`: what an application calls, on any runtime. `createSseResponse` is the way on
 * fetch runtimes; the hub fans events out with replay. On node:http the way is `openSseStream`
 * from `@ssekit/core/node`; backend authors use `@ssekit/core/broker`, adapter authors
 * `@ssekit/core/adapter`. Every export of every entry is listed in docs/api.md.
 */
export { acceptsEventStream } from './accept.js';
export { EncodedEvent, encodeEvent } from './encoded-event.js';
export { SsekitError, type SsekitErrorCode } from './errors.js';
export type { Serializer } from './format.js';
export { createHub, Hub } from './hub/hub.js';
export type {
  HubCloseOptions,
  HubDelivery,
  HubFilter,
  HubMessage,
  HubOptions,
  HubStats,
  PublishOptions,
  SubscribeOptions,
} from './hub/hub-types.js';
export { type MemoryHistoryOptions, memoryHistory } from './hub/memory-history.js';
export { CURSOR_EVENT, DENIED_EVENT, type HubSignals, RESET_EVENT } from './hub/signals.js';
export { createSseResponse, type SseHandler, type SseResponseOptions } from './response.js';
export {
  type EventMap,
  type OverflowPolicy,
  type SseMessage,
  SseStream,
  type SseStreamOptions,
} from './sse-stream.js';
export type { SseStreamHandle } from './sse-stream-handle.js';
