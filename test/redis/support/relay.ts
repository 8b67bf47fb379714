/**
 * A TCP relay to Redis whose replies can be held back: a connection behind it is connected but
 * gets no answer until `release()`, as on an instance whose first read has not returned yet, or
 * one that stalled while Redis kept taking entries.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { REDIS_URL } from './redis.js';

export interface Relay {
  readonly url: string;
  /** Holds Redis's replies back from now on. */
  hold(): void;
  /** Hands over every held reply, and passes replies through again. */
  release(): void;
  close(): Promise<void>;
}

export async function relayToRedis(options: { held: boolean }): Promise<Relay> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  let held = options.held;
  const flushes: Array<() => void> = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.pipe(upstream);
    const pending: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => {
      if (held) pending.push(chunk);
      else socket.write(chunk);
    });
    flushes.push(() => {
      if (pending.length > 0) socket.write(Buffer.concat(pending.splice(0)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    hold() {
      held = true;
    },
    release() {
      held = false;
      for (const flush of flushes) flush();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
