/**
 * `@ssekit/core/node`: streams on node:http and node:http2 (its compatibility API).
 * `openSseStream(req, res)` is the one call; adapter authors find the lazy and connection-tied
 * variants in `@ssekit/core/adapter`.
 */
export { openSseStream } from './open-sse-stream.js';
export type { NodeRequestLike, NodeResponseLike } from './types.js';
