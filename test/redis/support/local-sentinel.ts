/**
 * A lone primary, its replica and one Sentinel on free loopback ports, started by a test and
 * torn down after it: persistence off, quorum 1, a low `down-after-milliseconds` and
 * `failover-timeout`, so that a killed primary's replica is promoted within seconds. The Sentinel
 * starts only once the replica has synced, so that its first look at the primary (`INFO`) finds
 * the replica: it otherwise learns of replicas every 10 s, and a failover before that has no
 * replica to promote. Nodes can be killed (SIGKILL, as a crash) or stopped (SIGSTOP); `dispose`
 * kills every process and removes the directory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../support/wait.js';
import { commandOnce } from './command-once.js';
import { type RedisProcess, SYNC_AT_ONCE, serverArgs, startRedisServer } from './private-redis.js';

/** The name the Sentinel monitors the primary under. */
export const MASTER_NAME = 'mymaster';

export interface SentinelNode {
  readonly port: number;
}

export interface LocalSentinel {
  /** The Sentinel's address, as clients take it. */
  readonly sentinel: { host: string; port: number };
  readonly primary: SentinelNode;
  readonly replica: SentinelNode;
  /** Kills the node's process with SIGKILL (a crash: nothing is saved or handed over). */
  kill(node: SentinelNode): Promise<void>;
  /** Stops (`SIGSTOP`) or continues (`SIGCONT`) the node's process: it answers nothing meanwhile. */
  freeze(node: SentinelNode, frozen: boolean): void;
  /**
   * Resolves once the replica has acknowledged everything the primary had when this was called
   * (replication offsets), so that what the primary acknowledged before survives a failover.
   */
  replicated(): Promise<void>;
  /** Resolves once the Sentinel names the replica as the primary and the replica says it is one. */
  promoted(): Promise<void>;
  /** Runs one command on one node. */
  command(node: SentinelNode, args: readonly string[]): Promise<unknown>;
  dispose(): Promise<void>;
}

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 3000;

export async function localSentinel(): Promise<LocalSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'ssekit-sentinel-'));
  const processes = new Map<number, RedisProcess>();
  const node = (port: number, extra: readonly string[] = []) => [
    ...serverArgs(port, dir),
    ...SYNC_AT_ONCE,
    ...extra,
  ];
  const dispose = async () => {
    for (const { child, exited } of processes.values()) {
      child.kill('SIGKILL');
      await exited;
    }
    processes.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  const command = (port: number, args: readonly string[]) =>
    commandOnce(`redis://127.0.0.1:${port}`, args);
  const info = async (port: number) => String(await command(port, ['INFO', 'replication']));
  const field = (text: string, name: string) => new RegExp(`${name}:(\\S+)`).exec(text)?.[1];

  const start = async (args: (port: number) => string[]) => {
    const started = await startRedisServer(args);
    processes.set(started.port, started);
    return started.port;
  };

  let primaryPort = 0;
  let replicaPort = 0;
  let sentinelPort = 0;
  const askSentinel = (subcommand: string) =>
    command(sentinelPort, ['SENTINEL', subcommand, MASTER_NAME]);
  try {
    primaryPort = await start((port) => node(port));
    replicaPort = await start((port) =>
      node(port, ['--replicaof', '127.0.0.1', String(primaryPort)]),
    );
    await poll(
      async () => field(await info(replicaPort), 'master_link_status') === 'up',
      'the replica synced',
      10_000,
    );
    // Sentinel rewrites its configuration file, so it gets one of its own in the directory.
    const config = join(dir, 'sentinel.conf');
    sentinelPort = await start((port) => {
      writeFileSync(
        config,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primaryPort} 1`,
          `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
          '',
        ].join('\n'),
      );
      return [config, '--sentinel'];
    });
    await poll(
      async () => {
        const replicas = (await askSentinel('REPLICAS')) as unknown[];
        return replicas.length === 1;
      },
      'the Sentinel found the replica',
      10_000,
    );
  } catch (error) {
    await dispose();
    throw error;
  }

  const primary = { port: primaryPort };
  const replica = { port: replicaPort };
  return {
    sentinel: { host: '127.0.0.1', port: sentinelPort },
    primary,
    replica,
    async kill(target) {
      const process = processes.get(target.port);
      if (process === undefined) return;
      process.child.kill('SIGKILL');
      await process.exited;
      processes.delete(target.port);
    },
    freeze(target, frozen) {
      processes.get(target.port)?.child.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
    },
    async replicated() {
      const target = Number(field(await info(primaryPort), 'master_repl_offset'));
      await poll(
        async () => Number(field(await info(replicaPort), 'slave_repl_offset') ?? -1) >= target,
        'the replica caught up',
        10_000,
      );
    },
    async promoted() {
      await poll(
        async () => {
          const address = (await askSentinel('GET-MASTER-ADDR-BY-NAME')) as [string, string];
          return (
            Number(address[1]) === replicaPort &&
            field(await info(replicaPort), 'role') === 'master'
          );
        },
        'the Sentinel promoted the replica',
        30_000,
      );
    },
    command: (target, args) => command(target.port, args),
    dispose,
  };
}

/** Asks `condition` every 50 ms until it holds; a node that does not answer yet counts as no. */
async function poll(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}
