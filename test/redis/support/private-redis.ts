/**
 * A private `redis-server` on a free loopback port, for the outage suites: it can be stopped and
 * started again without touching the machine's shared Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Starts the server (again), with whatever it saved in its directory. */
  start(): Promise<void>;
  /** `SHUTDOWN SAVE` keeps the data for the next start; `NOSAVE` loses it. */
  stop(mode: 'SAVE' | 'NOSAVE'): Promise<void>;
  /** Stops the server if running and removes its directory. */
  dispose(): Promise<void>;
}

/** `true` when a `redis-server` binary can be started here. */
export async function canRunRedisServer(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = spawn('redis-server', ['--version'], { stdio: 'ignore' });
    probe.once('error', () => resolve(false));
    probe.once('exit', (code) => resolve(code === 0));
  });
}

export async function privateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'ssekit-redis-'));
  let server: RedisProcess | undefined;
  try {
    server = await startRedisServer((port) => serverArgs(port, dir));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { port } = server;
  const url = `redis://127.0.0.1:${port}`;

  // Started again on the same port: its clients reconnect to the address they know.
  const start = async () => {
    const child = spawn('redis-server', serverArgs(port, dir), { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    server = { port, child, exited };
    await waitUntilAnswering(url);
  };

  const stop = async (mode: 'SAVE' | 'NOSAVE') => {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    await client.connect();
    await client.sendCommand(['SHUTDOWN', mode]).catch(() => {});
    if (client.isOpen) client.destroy();
    await server?.exited;
    server = undefined;
  };

  return {
    url,
    port,
    start,
    stop,
    async dispose() {
      if (server !== undefined) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The arguments every test's own `redis-server` starts with: `port` on loopback only, persistence
 * off, files (if any) in `dir`.
 */
export function serverArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
}

/** A replica syncs at once (the default waits 5 s to gather replicas for one transfer). */
export const SYNC_AT_ONCE = ['--repl-diskless-sync-delay', '0'];

/** Whether nothing listens on `port` of 127.0.0.1 now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Sends one command to the server at `url` on a connection of its own, closed after. */
export async function commandOnce(url: string, args: readonly string[]): Promise<unknown> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  try {
    return await client.sendCommand([...args]);
  } finally {
    client.destroy();
  }
}

/**
 * Resolves once the server at `url` answers PING (within 10 s).
 * @param running - While it returns true the server may still come up; once false, the wait
 *   ends with an error at once instead of at the deadline.
 */
export async function waitUntilAnswering(
  url: string,
  running: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline || !running()) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      if (client.isOpen) client.destroy();
    }
  }
}

/** A `redis-server` process a test started. */
export interface RedisProcess {
  readonly port: number;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/**
 * Starts `redis-server` with `args(port)` on a port probed free and resolves once it answers.
 * Test files run side by side, each opening sockets: another process can take the probed port
 * (or a cluster node's bus port) before the server binds it, and the server then exits at once.
 * It is started again on another port, up to 5 times.
 * @param usable - Whether a probed port may be used (distinct from others, a free bus port).
 */
export async function startRedisServer(
  args: (port: number) => string[],
  usable: (port: number) => Promise<boolean> | boolean = () => true,
): Promise<RedisProcess> {
  for (let attempt = 1; ; attempt++) {
    let port = await freePort();
    while (!(await usable(port))) port = await freePort();
    const child = spawn('redis-server', args(port), { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const running = () => child.exitCode === null && child.signalCode === null;
    try {
      await waitUntilAnswering(`redis://127.0.0.1:${port}`, running);
      return { port, child, exited };
    } catch (error) {
      if (running()) {
        child.kill('SIGKILL');
        await exited;
        throw error;
      }
      if (attempt === 5) {
        throw new Error(`redis-server exited at start on 5 ports in a row (the last ${port})`);
      }
    }
  }
}
