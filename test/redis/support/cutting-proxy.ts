/**
 * A TCP proxy in front of Redis that can drop a connection at the moment a test needs: right
 * after Redis received a command but before its reply reaches the client (Redis ran it, the
 * client cannot know), or before the command reaches Redis at all. Clients connect to `url` and
 * reconnect through it as they would to Redis.
 */
import { createServer, type Socket, connect as tcpConnect } from 'node:net';

/** When the connection carrying the matching command is cut. */
export type CutMoment = 'before-reply' | 'before-command';

export interface CuttingProxy {
  readonly url: string;
  /**
   * Cuts the connection that next sends a command containing `match` (e.g. `EVAL`, which also
   * matches EVALSHA); resolves once it is cut.
   */
  cutNext(match: string, moment: CutMoment): Promise<void>;
  /** While refusing, new connections are closed at once (Redis looks down). */
  refuse(refusing: boolean): void;
  close(): Promise<void>;
}

export async function cuttingProxy(redisUrl: string): Promise<CuttingProxy> {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  let armed: { match: string; moment: CutMoment; cut: () => void } | undefined;
  let refusing = false;

  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(target.port || 6379), target.hostname);
    const pair = [client, upstream];
    for (const socket of pair) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        for (const other of pair) other.destroy();
      });
    }
    let cutOnReply: (() => void) | undefined;
    client.on('data', (chunk: Buffer) => {
      const trap = armed;
      if (trap !== undefined && chunk.includes(trap.match)) {
        armed = undefined;
        if (trap.moment === 'before-command') {
          for (const socket of pair) socket.destroy();
          trap.cut();
          return;
        }
        cutOnReply = trap.cut;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutOnReply !== undefined) {
        for (const socket of pair) socket.destroy();
        cutOnReply();
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    url: `redis://127.0.0.1:${port}`,
    cutNext(match, moment) {
      return new Promise((cut) => {
        armed = { match, moment, cut };
      });
    },
    refuse(value) {
      refusing = value;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
