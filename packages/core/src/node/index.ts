/**
 * `@ssekit/core/node`: the one bridge from an EventStream to a Node `ServerResponse`
 * (node:http, and node:http2's compatibility API). Express and Koa adapters use only this; the
 * h3 adapter ties its fetch streams to the Node connection under them with `tieToConnection`.
 */
export { exposeAsSse, LazyEventStream } from './lazy-event-stream.js';
export { openEventStream } from './open-event-stream.js';
export { tieToConnection } from './tie-to-connection.js';
export type { NodeRequestLike, NodeResponseLike } from './types.js';
