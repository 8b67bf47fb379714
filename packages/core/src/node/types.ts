/** The shapes of Node requests and responses the bridge works with; http and http2 both fit. */

/** The parts of an incoming request the bridge reads (http and http2 requests both fit). */
export interface NodeRequestLike {
  headers: Record<string, string | string[] | undefined>;
  url?: string;
  method?: string;
  /** The connection; over HTTP/1.1 it tells a response queued behind another whether it is gone. */
  readonly socket?: NodeSocketLike | null;
}

/** The parts of a connection's socket the bridge watches (`net.Socket` fits). */
export interface NodeSocketLike {
  readonly destroyed: boolean;
  /** The server that accepted the connection (`net.Socket` of a server), if any. */
  readonly server?: NodeServerLike | null;
  on(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/** The parts of a Node HTTP server the bridge needs when a stream ends during its shutdown. */
export interface NodeServerLike {
  readonly listening: boolean;
  /** Closes the connections serving no request (Node 18.2+). */
  closeIdleConnections?(): void;
}

/** The parts of a Node response the bridge drives (http and http2 compatibility responses). */
export interface NodeResponseLike {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  /** Every byte handed to the connection (`'finish'` was emitted). */
  readonly writableFinished?: boolean;
  readonly writableLength: number;
  readonly destroyed: boolean;
  /** `true` once the response emitted 'close' (Node 18+). */
  readonly closed?: boolean;
  /** `null` over HTTP/1.1 while the response is queued behind another on its connection. */
  readonly socket?: NodeSocketLike | null;
  /** The HTTP/2 stream (node:http2's compatibility API only); one connection carries many. */
  readonly stream?: { readonly destroyed: boolean; readonly closed: boolean };
  writeHead(statusCode: number, headers: Readonly<Record<string, string>>): unknown;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  end(body: string): unknown;
  destroy(error?: Error): unknown;
  on(event: 'close' | 'drain' | 'finish', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'close' | 'drain', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  flushHeaders?(): void;
  /** Added by compression middleware; pushes compressed bytes out now. */
  flush?(): void;
  /** Idle timeout of the socket; with no 'timeout' listener, Node destroys the socket when it fires. */
  setTimeout?(msecs: number): unknown;
}
