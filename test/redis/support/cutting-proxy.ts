/**
 * A TCP proxy in front of Redis that can drop a connection at the moment a test needs: right
 * after Redis received a command but before its reply reaches the client (Redis ran it, the
 * client cannot know), or before the command reaches Redis at all. It can also answer a command
 * in Redis's place, with an error Redis gives in passing (LOADING after a restart), or turn a
 * connection into a blackhole: both TCP connections stay open and nothing is forwarded either way,
 * as in a network partition, until the test closes them as the operating system eventually would.
 * Clients connect to `url` and reconnect through it as they would to Redis.
 */
import { createServer, type Socket, connect as tcpConnect } from 'node:net';

/**
 * What the command of a publish carries and no other command of the broker: its script call names
 * the stream's latest-value hash, `<key>:latest`. (`EVAL` also matches the script of the reads.)
 */
export const PUBLISH_CALL = ':latest';

/** When the connection carrying the matching command is cut. */
export type CutMoment = 'before-reply' | 'before-command';

/** What happens to the next command that matches. */
type Trap =
  | { match: string; moment: CutMoment; blackhole: boolean; done: () => void }
  | { match: string; answer: string; done: () => void };

export interface CuttingProxy {
  readonly url: string;
  /**
   * Cuts the connection that next sends a command containing `match` (e.g. `PUBLISH_CALL`);
   * resolves once it is cut.
   */
  cutNext(match: string, moment: CutMoment): Promise<void>;
  /**
   * Stops forwarding, both ways, on the connection that next sends a command containing `match`,
   * and keeps its sockets open: at `before-command` that command is dropped too, at
   * `before-reply` it reaches Redis and its reply does not. Resolves once it is in effect.
   */
  blackholeNext(match: string, moment: CutMoment): Promise<void>;
  /** What clients sent into a blackhole, dropped there (one chunk as it arrived per element). */
  readonly swallowed: readonly Buffer[];
  /** Closes the blackholed connections (what the operating system does once it gives up). */
  closeBlackholed(): void;
  /** Answers the next command containing `match` with `reply` (raw RESP) instead of Redis. */
  answerNext(match: string, reply: string): Promise<void>;
  /** While refusing, new connections are closed at once (Redis looks down). */
  refuse(refusing: boolean): void;
  close(): Promise<void>;
}

export async function cuttingProxy(redisUrl: string): Promise<CuttingProxy> {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  let armed: Trap | undefined;
  let refusing = false;
  const blackholed = new Set<Socket>();
  const swallowed: Buffer[] = [];

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
    let silent = false;
    client.on('data', (chunk: Buffer) => {
      if (silent) {
        swallowed.push(chunk);
        return;
      }
      const trap = armed;
      if (trap !== undefined && chunk.includes(trap.match)) {
        armed = undefined;
        if ('answer' in trap) {
          client.write(trap.answer);
          trap.done();
          return;
        }
        if (trap.blackhole) {
          silent = true;
          blackholed.add(client);
          if (trap.moment === 'before-reply') upstream.write(chunk);
          else swallowed.push(chunk);
          trap.done();
          return;
        }
        if (trap.moment === 'before-command') {
          for (const socket of pair) socket.destroy();
          trap.done();
          return;
        }
        cutOnReply = trap.done;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (silent) return;
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
      return new Promise((done) => {
        armed = { match, moment, blackhole: false, done };
      });
    },
    blackholeNext(match, moment) {
      return new Promise((done) => {
        armed = { match, moment, blackhole: true, done };
      });
    },
    swallowed,
    closeBlackholed() {
      for (const socket of blackholed) socket.destroy();
      blackholed.clear();
    },
    answerNext(match, answer) {
      return new Promise((done) => {
        armed = { match, answer, done };
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
