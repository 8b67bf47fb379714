/**
 * A server shutting down (`server.close()`) closes the connections idle at that moment and waits
 * for the rest. A stream that ends after it leaves its connection idle, kept alive for a next
 * request that will not come, and the shutdown waits for `keepAliveTimeout` (5 s in Node, 72 s
 * in Fastify). So once such a response has finished, the server closes its idle connections
 * again: one sweep a turn for the streams that end together.
 */
import type { NodeResponseLike, NodeServerLike, NodeSocketLike } from './types.js';

const sweeping = new WeakSet<NodeServerLike>();

/** Once `res` has finished, closes the idle connections of its server if it stopped listening. */
export function closeAfterShutdown(
  res: NodeResponseLike,
  socket: NodeSocketLike | undefined,
): void {
  const server = socket?.server;
  if (!server) return;
  if (res.writableFinished) sweepIfClosing(server);
  else res.on('finish', () => sweepIfClosing(server));
}

function sweepIfClosing(server: NodeServerLike): void {
  if (server.listening || sweeping.has(server)) return;
  sweeping.add(server);
  setImmediate(() => {
    sweeping.delete(server);
    server.closeIdleConnections?.();
  });
}
