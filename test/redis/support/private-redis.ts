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
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ssekit-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    server = spawn('redis-server', serverArgs(port, dir), { stdio: 'ignore' });
    const child = server;
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitUntilAnswering(url);
  };

  const stop = async (mode: 'SAVE' | 'NOSAVE') => {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    await client.connect();
    await client.sendCommand(['SHUTDOWN', mode]).catch(() => {});
    if (client.isOpen) client.destroy();
    await exited;
    server = undefined;
  };

  await start();
  return {
    url,
    port,
    start,
    stop,
    async dispose() {
      if (server !== undefined) {
        server.kill('SIGKILL');
        await exited;
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

/** Resolves once the server at `url` answers PING (within 10 s). */
export async function waitUntilAnswering(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      if (client.isOpen) client.destroy();
    }
  }
}
