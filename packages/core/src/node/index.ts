/**
 * `@ssekit/core/node`: the one bridge from an SseStream to a Node `ServerResponse`
 * (node:http, and node:http2's compatibility API). Express and Koa adapters use only this; the
 * h3 adapter ties its fetch streams to the Node connection under them with `tieToConnection`.
 */
export { exposeAsSse } from './expose-as-sse.js';
export { LazySseStream } from './lazy-sse-stream.js';
export { openSseStream } from './open-sse-stream.js';
export { tieToConnection } from './tie-to-connection.js';
export type { NodeRequestLike, NodeResponseLike } from './types.js';
