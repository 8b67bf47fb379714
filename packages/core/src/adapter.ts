/**
 * `@ssekit/core/adapter`: for authors of framework adapters. Web-standard (no `node:` import):
 * the Node pieces (`LazySseStream`, `tieToConnection`) only use structural types of Node's
 * request and response. Applications do not need anything here.
 */
export { checkKnownKeys, optionalFunction, requiredFunction } from './checks.js';
export { type FormatOptions, formatComment, formatEvent } from './format.js';
export { sseHeaders } from './headers.js';
export { heartbeatRegistry } from './heartbeat.js';
export { readLastEventId } from './last-event-id.js';
export { exposeAsSse } from './node/expose-as-sse.js';
export { LazySseStream } from './node/lazy-sse-stream.js';
export { tieToConnection } from './node/tie-to-connection.js';
export { noteCalls } from './note-calls.js';
export { isPromiseLike } from './promise-like.js';
export { resolveStreamOptions } from './resolve-stream-options.js';
export { runHandler } from './response.js';
export { attachSink, type Sink, type SinkSource, type SinkTarget } from './sink.js';
export { createSseStream, SSE_STREAM_OPTION_KEYS } from './sse-stream.js';
