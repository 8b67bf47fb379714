/**
 * A TCP proxy that can go silent: `freeze()` keeps every open connection open but forwards
 * nothing more on it, as a half-open connection after a laptop sleeps or a NAT drops its state.
 * Connections made after the freeze are forwarded normally.
 */
import { once } from 'node:events';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { onTestFinished } from 'vitest';

export interface FreezingProxy {
  url: string;
  /** Stops forwarding on every connection open now. */
  freeze(): void;
  /** Connections the proxy has accepted so far. */
  connections(): number;
}

/** A proxy to `target` (an http URL) for the rest of the test; `url` has `target`'s path. */
export async function freezingProxy(target: string): Promise<FreezingProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const frozen = new WeakSet<Socket>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted += 1;
    const server = tcpConnect(Number(upstream.port), upstream.hostname);
    for (const [from, to] of [
      [client, server],
      [server, client],
    ] as const) {
      sockets.add(from);
      from.on('error', () => {});
      from.on('close', () => to.destroy());
      from.on('data', (chunk: Buffer) => {
        if (!frozen.has(from)) to.write(chunk);
      });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    freeze: () => {
      for (const socket of sockets) frozen.add(socket);
    },
    connections: () => accepted,
  };
}
