/** Real `node:http` servers on 127.0.0.1 for the suites, stopped without leaving sockets open. */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

/** Listens on a free port of 127.0.0.1 and returns the base URL (no trailing slash). */
export async function listen(server: http.Server, port = 0): Promise<string> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops listening and cuts every open connection, SSE streams included. */
export async function stop(server: http.Server): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}

/**
 * Serves `listener` on a free port of 127.0.0.1 for the rest of the running test, then stops
 * it; returns the base URL (no trailing slash). Call it inside a test.
 */
export async function listenForTest(listener: http.RequestListener): Promise<string> {
  const server = http.createServer(listener);
  onTestFinished(() => stop(server));
  return listen(server);
}
