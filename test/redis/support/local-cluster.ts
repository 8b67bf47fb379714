/**
 * A real Redis Cluster on free loopback ports, started by a test and torn down after it: three
 * masters and one replica each (`redis-cli --cluster create --cluster-replicas 1`), persistence
 * off, a low `cluster-node-timeout` so that a killed master's replica takes over within seconds.
 * Nodes can be killed (SIGKILL, as a crash) for failover tests; `dispose` kills every process and
 * removes every directory it made.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { freePort, waitUntilAnswering } from './private-redis.js';

const run = promisify(execFile);

/** Milliseconds a node may be unreachable before the others mark it failed. */
export const NODE_TIMEOUT_MS = 1000;

export interface ClusterNode {
  readonly port: number;
  readonly url: string;
  /** The node's cluster id (`CLUSTER MYID`). */
  readonly id: string;
  /** `true` once `kill` was called. */
  readonly killed: boolean;
}

export interface LocalCluster {
  readonly nodes: readonly ClusterNode[];
  /** `{ url }` of every node, as the cluster clients take their seeds. */
  readonly seeds: ReadonlyArray<{ url: string }>;
  /** The live master serving `key`'s slot, asked of a live node. */
  masterOf(key: string): Promise<ClusterNode>;
  /** Kills the node's process with SIGKILL (a crash: nothing is saved or handed over). */
  kill(node: ClusterNode): Promise<void>;
  /** Resolves once every live node reports `cluster_state:ok` and `key`'s slot has a live master. */
  healthy(key?: string): Promise<void>;
  /** Runs one command on one node (not through a cluster client). */
  command(node: ClusterNode, args: readonly string[]): Promise<unknown>;
  dispose(): Promise<void>;
}

/** Starts `masters` masters with `replicasEach` replicas each and waits for the cluster to be ok. */
export async function localCluster({ masters = 3, replicasEach = 1 } = {}): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ssekit-cluster-'));
  const count = masters * (1 + replicasEach);
  const processes = new Map<number, { child: ChildProcess; exited: Promise<void> }>();
  const killed = new Set<number>();
  const ports: number[] = [];
  for (let n = 0; n < count; n++) ports.push(await freePort());
  const dispose = async () => {
    for (const { child, exited } of processes.values()) {
      child.kill('SIGKILL');
      await exited;
    }
    processes.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const child = spawn(
        'redis-server',
        [
          '--cluster-enabled',
          'yes',
          '--port',
          String(port),
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          String(NODE_TIMEOUT_MS),
          '--save',
          '',
          '--appendonly',
          'no',
          '--bind',
          '127.0.0.1',
          '--daemonize',
          'no',
          '--dir',
          dir,
        ],
        { stdio: 'ignore' },
      );
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      processes.set(port, { child, exited });
    }
    for (const port of ports) await waitUntilAnswering(urlOf(port));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      String(replicasEach),
      '--cluster-yes',
    ]);
  } catch (error) {
    await dispose();
    throw error;
  }
  const command = async (port: number, args: readonly string[]): Promise<unknown> => {
    const client = createClient({ url: urlOf(port), socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    await client.connect();
    try {
      return await client.sendCommand([...args]);
    } finally {
      client.destroy();
    }
  };
  const nodes = await Promise.all(
    ports.map(async (port) => {
      const id = String(await command(port, ['CLUSTER', 'MYID']));
      return {
        port,
        url: urlOf(port),
        id,
        get killed() {
          return killed.has(port);
        },
      };
    }),
  );
  const live = () => nodes.filter((node) => !node.killed);
  const masterOf = async (key: string) => {
    const asked = live()[0]?.port ?? 0;
    const slot = Number(await command(asked, ['CLUSTER', 'KEYSLOT', key]));
    const slots = (await command(asked, ['CLUSTER', 'SLOTS'])) as Array<
      [number, number, [string, number, string], ...unknown[]]
    >;
    const range = slots.find(([from, to]) => from <= slot && slot <= to);
    const master = nodes.find((node) => node.port === Number(range?.[2][1]));
    if (master === undefined) throw new Error(`no master serves slot ${slot} of "${key}"`);
    return master;
  };
  const cluster: LocalCluster = {
    nodes,
    seeds: nodes.map(({ url }) => ({ url })),
    masterOf,
    async kill(node) {
      const process = processes.get(node.port);
      if (process === undefined) return;
      killed.add(node.port);
      process.child.kill('SIGKILL');
      await process.exited;
      processes.delete(node.port);
    },
    async healthy(key) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          const states = await Promise.all(
            live().map((node) => command(node.port, ['CLUSTER', 'INFO'])),
          );
          const ok = states.every((info) => String(info).includes('cluster_state:ok'));
          if (ok && (key === undefined || !(await masterOf(key)).killed)) return;
        } catch {
          // A node still starting or just failed over: ask again.
        }
        if (Date.now() > deadline) throw new Error('the cluster did not become healthy in 30 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    command: (node, args) => command(node.port, args),
    dispose,
  };
  await cluster.healthy();
  return cluster;
}

function urlOf(port: number): string {
  return `redis://127.0.0.1:${port}`;
}
