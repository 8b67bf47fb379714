/**
 * The fetch entry point on a Node server that exposes its response (srvx, so h3 on Node): the
 * runtime still writes the status and headers of the `Response` (with whatever its framework
 * merged in), but the event bytes go straight to the Node response, as `openSseStream` writes
 * them, instead of through a web ReadableStream read one promise per chunk.
 */
import { createReadableSink } from '../readable-sink.js';
import { attachSink } from '../sink.js';
import type { EventMap, SseStream } from '../sse-stream.js';
import { closeGraceMs, ResponseSink } from './response-sink.js';
import type { NodeResponseLike } from './types.js';

/** What srvx puts on the requests it makes (`request.runtime.node`). */
interface NodeRuntimeRequest {
  readonly runtime?: { readonly node?: { readonly res?: NodeResponseLike } };
}

/** The Node response under a fetch `request`, when the runtime exposes it. */
export function nodeResponseOf(request: Request): NodeResponseLike | undefined {
  const res = (request as NodeRuntimeRequest).runtime?.node?.res;
  return typeof res?.write === 'function' && typeof res.headersSent === 'boolean' ? res : undefined;
}

/**
 * The body of a stream's `Response` on a Node runtime. srvx writes the head, then takes a reader
 * of the body: a body read that way writes to `res` itself, and the read stays pending until the
 * runtime cancels it as the response closes. A body piped (a middleware wrapping it, which takes
 * no reader through `getReader`) or read before the head is written is someone else's: the bytes
 * then flow through this body as on any other runtime.
 */
export function nodeBackedBody<Events extends EventMap>(
  stream: SseStream<Events>,
  res: NodeResponseLike,
  heartbeat: number | false | undefined,
): ReadableStream<Uint8Array> {
  let relay: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let direct = false;
  const readThrough = (): ReadableStreamDefaultReader<Uint8Array> => {
    if (relay === undefined) {
      stream[attachSink]((source) => {
        const created = createReadableSink(source, true);
        relay = created.readable.getReader();
        return created.sink;
      });
    }
    return relay as ReadableStreamDefaultReader<Uint8Array>;
  };
  let readByRuntime = false;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (direct) return;
        if (relay === undefined && readByRuntime && !res.writableEnded) {
          direct = true;
          stream[attachSink](
            (source) => new ResponseSink(source, res, closeGraceMs(heartbeat), undefined),
          );
          res.flushHeaders?.();
          return;
        }
        return readThrough()
          .read()
          .then(({ done, value }) => (done ? controller.close() : controller.enqueue(value)));
      },
      cancel(reason) {
        // Writing directly, the sink sees the response close by itself.
        if (!direct) return readThrough().cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const getReader = body.getReader;
  body.getReader = ((options?: ReadableStreamGetReaderOptions) => {
    readByRuntime ||= res.headersSent;
    return getReader.call(body, options as undefined);
  }) as typeof body.getReader;
  return body;
}
