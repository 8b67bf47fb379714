/**
 * A private `redis-server` on a free loopback port, for the outage suites: it can be stopped and
 * started again without touching the machine's shared Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandOnce, RedisErrorReply } from './command-once.js';

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
    const restarted = spawnRedis(port, serverArgs(port, dir));
    server = restarted;
    try {
      await waitUntilAnswering(url, restarted.running);
    } catch (error) {
      if (restarted.running()) throw error;
      throw new Error(`redis-server could not start again on port ${port}: ${exitOf(restarted)}`, {
        cause: error,
      });
    }
  };

  const stop = async (mode: 'SAVE' | 'NOSAVE') => {
    // A server that shuts down closes the connection instead of answering; one that refuses
    // answers with an error, which must not leave the test waiting for an exit.
    await commandOnce(url, ['SHUTDOWN', mode]).catch((error: unknown) => {
      if (error instanceof RedisErrorReply) throw error;
    });
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

/**
 * A free port for a test's own `redis-server`, below the kernel's ephemeral range, and its port
 * + 10000 (a cluster node's bus) too. The kernel hands ports of that range to every `listen(0)`
 * and outgoing connection of the files running beside this one, so a port probed free there can
 * be taken before the server binds it, or while an outage test has the server stopped.
 */
async function redisPort(): Promise<number> {
  const lowest = 10_000;
  const highest = ephemeralRangeStart() - 10_001;
  if (highest < lowest) return listenedPort();
  for (;;) {
    const port = lowest + Math.floor(Math.random() * (highest - lowest + 1));
    if (await portIsFree(port)) return port;
  }
}

function ephemeralRangeStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/);
    return Number(start) || 32_768;
  } catch {
    return 32_768;
  }
}

/** A port the kernel hands out as free, where its ephemeral range leaves no room below. */
function listenedPort(): Promise<number> {
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
    try {
      // Something else on the port may take the connection and never answer.
      await commandOnce(url, ['PING'], { timeoutMs: 1000 });
      return;
    } catch (error) {
      if (Date.now() > deadline || !running()) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A `redis-server` process a test started. */
export interface RedisProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** Resolves when the process has ended (or could not be spawned). */
  readonly exited: Promise<void>;
  /** `false` once the process has ended. */
  readonly running: () => boolean;
}

function spawnRedis(port: number, args: string[]): RedisProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  let ended = false;
  const exited = new Promise<void>((resolve) => {
    const end = () => {
      ended = true;
      resolve();
    };
    child.once('exit', end);
    // A spawn that fails (no binary, no process slot) emits 'error' and never 'exit'.
    child.once('error', end);
  });
  return { port, child, exited, running: () => !ended };
}

function exitOf({ child }: RedisProcess): string {
  return child.signalCode !== null
    ? `it was killed (${child.signalCode})`
    : `it exited with code ${child.exitCode ?? 'unknown (it could not be spawned)'}`;
}

/** The process id the server on `url` reports (`INFO server`). */
async function processIdAt(url: string): Promise<number> {
  const info = String(await commandOnce(url, ['INFO', 'server']));
  return Number(/process_id:(\d+)/.exec(info)?.[1]);
}

/**
 * Starts `redis-server` with `args(port)` on a free port (see `redisPort`) and resolves once it
 * answers. Should the port be taken before the server binds it anyway (another file's server
 * picked it at the same moment), the server exits at once and is started again on another port,
 * up to 5 times; a server that answers must be this process, not a neighbour's.
 * @param usable - Whether a probed port may be used (distinct from others, a free bus port).
 */
export async function startRedisServer(
  args: (port: number) => string[],
  usable: (port: number) => Promise<boolean> | boolean = () => true,
): Promise<RedisProcess> {
  for (let attempt = 1; ; attempt++) {
    let port = await redisPort();
    while (!(await usable(port))) port = await redisPort();
    const server = spawnRedis(port, args(port));
    const url = `redis://127.0.0.1:${port}`;
    try {
      await waitUntilAnswering(url, server.running);
      if ((await processIdAt(url)) === server.child.pid) return server;
    } catch (error) {
      if (server.running()) {
        server.child.kill('SIGKILL');
        await server.exited;
        throw error;
      }
    }
    // Not answering as itself: it lost the port and exits, if it has not already.
    server.child.kill('SIGKILL');
    await server.exited;
    if (attempt === 5) {
      throw new Error(
        `redis-server did not start on 5 ports in a row (the last ${port}: ${exitOf(server)})`,
      );
    }
  }
}
