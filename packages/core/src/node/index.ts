/**
 * `@ssekit/core/node`: the one bridge from an EventStream to a Node `ServerResponse`
 * (node:http, and node:http2's compatibility API). Express and Koa adapters use only this.
 */
export { exposeAsSse, LazyEventStream } from './lazy-event-stream.js';
export { openEventStream } from './open-event-stream.js';
export type { NodeRequestLike, NodeResponseLike } from './types.js';
