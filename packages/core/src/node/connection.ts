/**
 * The connection under a Node response: whether the client is still there, and the HTTP/1.1 rule
 * that one connection carries at most one live event stream.
 *
 * A handler may await (auth, a database read) before it opens its stream; a client that left
 * meanwhile has already had its `'close'`, which will not come again. And Node queues pipelined
 * HTTP/1.1 responses behind the connection's current one: a stream behind a live stream can never
 * be written, and on some Node lines a queued response never closes when its socket dies. So the
 * bridge looks at the connection itself, at open, at every write, and on the socket's `'close'`.
 */
import type { NodeRequestLike, NodeResponseLike, NodeSocketLike } from './types.js';

/** `true` when nothing written to `res` can reach the client any more. */
export function isConnectionGone(
  res: NodeResponseLike,
  socket: NodeSocketLike | undefined,
): boolean {
  if (res.destroyed === true || res.writableEnded) return true;
  const http2Stream = res.stream;
  if (http2Stream !== undefined) return http2Stream.destroyed || http2Stream.closed;
  return socket?.destroyed === true;
}

/**
 * The HTTP/1.1 socket of a request; `undefined` over HTTP/2, where one connection multiplexes
 * many streams and each stream closes on its own. The request's socket, not the response's: a
 * queued response has none yet.
 */
export function http1Socket(
  req: NodeRequestLike,
  res: NodeResponseLike,
): NodeSocketLike | undefined {
  if (res.stream !== undefined) return undefined;
  return req.socket ?? res.socket ?? undefined;
}

/** What holds a connection: told when its socket closes. */
export interface ConnectionHolder {
  connectionClosed(): void;
}

/** Where a socket keeps the stream that holds it, so one shared listener serves every socket. */
const HOLDER = Symbol('ssekit.liveStream');

interface HeldSocket extends NodeSocketLike {
  [HOLDER]?: ConnectionHolder;
}

/** `true` while a live stream holds the socket. */
export function isHeld(socket: HeldSocket): boolean {
  return socket[HOLDER] !== undefined;
}

/**
 * Makes `holder` the socket's one live stream, told when the socket closes. `watched`: the
 * holder already hears of the socket closing through a response that has the socket (Node
 * emits the response's `'close'` then), so no listener is added: each one grows the socket's
 * array of `'close'` listeners, held per idle connection.
 */
export function hold(socket: HeldSocket, holder: ConnectionHolder, watched = false): void {
  socket[HOLDER] = holder;
  if (!watched) socket.on('close', onSocketClose);
}

/** Frees the socket for a later stream (a keep-alive connection serves the next request). */
export function letGo(socket: HeldSocket, holder: ConnectionHolder): void {
  if (socket[HOLDER] !== holder) return;
  socket[HOLDER] = undefined;
  socket.off('close', onSocketClose);
}

function onSocketClose(this: HeldSocket): void {
  this[HOLDER]?.connectionClosed();
}
