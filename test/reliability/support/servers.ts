/**
 * Real servers for the reliability suite: node:http on 127.0.0.1, port 0. Every socket is
 * tracked so a test can end with nothing open, and so leaks show up as sockets left behind.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  /** Server-side sockets still open. */
  openSockets(): number;
  /** Destroys every socket and stops listening. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Node's cap on the request head, in bytes (default 16 KiB, as in production). */
  maxHeaderSize?: number;
}

/** Starts a node:http server for a Node-style handler. */
export async function startNodeServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const server = createServer({ maxHeaderSize: options.maxHeaderSize }, handler);
  return listen(server);
}

/** Starts a node:http server for a fetch-style handler, bridged by @hono/node-server. */
export async function startFetchServer(
  fetch: (request: Request) => Response | Promise<Response>,
  options: ServerOptions = {},
): Promise<RunningServer> {
  // Keep Node's own Request/Response: the test must see the core on the real globals.
  const listener = getRequestListener(fetch, { overrideGlobalObjects: false });
  const server = createServer({ maxHeaderSize: options.maxHeaderSize }, listener);
  return listen(server);
}

async function listen(server: Server): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
