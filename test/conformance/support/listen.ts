import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';

type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;
type Http2Listener = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/** A started server on 127.0.0.1; `close()` cuts every open connection. */
export interface Listening {
  origin: string;
  /** Connections the server holds open (HTTP/2: sessions). */
  connections(): number;
  close(): Promise<void>;
}

/** Serves `listener` over HTTP/1.1 on a free port of 127.0.0.1. */
export function listenHttp1(listener: Listener): Promise<Listening> {
  const server = http.createServer(listener);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return start(server, sockets, () => server.closeAllConnections());
}

/** Serves `listener` over cleartext HTTP/2 (h2c) on a free port of 127.0.0.1. */
export function listenHttp2(listener: Http2Listener): Promise<Listening> {
  const server = http2.createServer(listener);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return start(server, sessions, () => {
    for (const session of sessions) session.destroy();
  });
}

function start(
  server: http.Server | http2.Http2Server,
  connections: ReadonlySet<unknown>,
  cutConnections: () => void,
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        connections: () => connections.size,
        close: () =>
          new Promise<void>((closed) => {
            server.close(() => closed());
            cutConnections();
          }),
      });
    });
  });
}
