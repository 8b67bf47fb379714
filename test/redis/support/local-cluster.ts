/**
 * A real Redis Cluster on free loopback ports, started by a test and torn down after it: three
 * masters and one replica each (`redis-cli --cluster create --cluster-replicas 1`), persistence
 * off, a low `cluster-node-timeout` so that a killed master's replica takes over within seconds.
 * The cluster is reported healthy only once every replica has synced with its master
 * (`master_link_status:up`): a replica that never synced refuses to take over ("disconnected from
 * master for longer than allowed"), which is what a first failover test ran into. Nodes can be
 * killed (SIGKILL, as a crash) or stopped (SIGSTOP) for failover tests, and a slot moved to
 * another master (`slot-migration.ts`); `dispose` kills every process and removes every directory
 * it made.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { commandOnce } from './command-once.js';
import {
  portIsFree,
  type RedisProcess,
  SYNC_AT_ONCE,
  serverArgs,
  startRedisServer,
} from './private-redis.js';

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
  /** Stops (`SIGSTOP`) or continues (`SIGCONT`) the node's process: it answers nothing meanwhile. */
  freeze(node: ClusterNode, frozen: boolean): void;
  /** The replica of `master` (a live master), as it sees the cluster. */
  replicaOf(master: ClusterNode): Promise<ClusterNode>;
  /**
   * Resolves once `replica` has acknowledged everything its master had when this was called
   * (replication offsets), so that what the master acknowledged before survives a failover.
   */
  replicated(master: ClusterNode, replica: ClusterNode): Promise<void>;
  /**
   * Resolves once every live node reports `cluster_state:ok`, every live replica is linked to its
   * master, and `key`'s slot has a live master.
   */
  healthy(key?: string): Promise<void>;
  /** Resolves once `node` is the master of `key`'s slot and the cluster is healthy. */
  servedBy(key: string, node: ClusterNode): Promise<void>;
  /** Runs one command on one node (not through a cluster client). */
  command(node: ClusterNode, args: readonly string[]): Promise<unknown>;
  dispose(): Promise<void>;
}

/** Starts `masters` masters with `replicasEach` replicas each and waits for the cluster to be ok. */
export async function localCluster({ masters = 3, replicasEach = 1 } = {}): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ssekit-cluster-'));
  const count = masters * (1 + replicasEach);
  const processes = new Map<number, RedisProcess>();
  const killed = new Set<number>();
  const ports: number[] = [];
  /** Every process started, killed or not: dispose waits for each to be gone. */
  const spawned: RedisProcess[] = [];
  const dispose = async () => {
    for (const { child, exited } of spawned) {
      child.kill('SIGKILL');
      await exited;
    }
    processes.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    while (ports.length < count) {
      const node = await startRedisServer(
        (port) => [
          ...serverArgs(port, dir),
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          String(NODE_TIMEOUT_MS),
          ...SYNC_AT_ONCE,
          '--daemonize',
          'no',
        ],
        // Distinct: a port probed free can be handed out again by the next probe (two nodes
        // given one port made a cluster of five, one master without a replica). A cluster node
        // also listens on its port + 10000 (the cluster bus): that port must exist (redis-server
        // refuses a port above 55535) and be free, or the node never starts.
        async (port) =>
          !ports.includes(port) && port + 10_000 <= 65_535 && (await portIsFree(port + 10_000)),
      );
      ports.push(node.port);
      processes.set(node.port, node);
      spawned.push(node);
    }
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
  const command = (port: number, args: readonly string[]) => commandOnce(urlOf(port), args);
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
    freeze(node, frozen) {
      processes.get(node.port)?.child.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
    },
    async replicaOf(master) {
      // Asked of the master itself, which knows its replicas first; gossip may lag elsewhere.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const lines = String(await command(master.port, ['CLUSTER', 'NODES'])).split('\n');
        const line = lines.find((text) => text.split(' ')[3] === master.id);
        const replica = nodes.find((node) => node.id === line?.split(' ')[0]);
        if (replica !== undefined) return replica;
        if (Date.now() > deadline) throw new Error(`no replica of ${master.port} in 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async replicated(master, replica) {
      const offset = (info: unknown, field: string) =>
        Number(new RegExp(`${field}:(\\d+)`).exec(String(info))?.[1] ?? -1);
      const target = offset(
        await command(master.port, ['INFO', 'replication']),
        'master_repl_offset',
      );
      const deadline = Date.now() + 30_000;
      while (
        offset(await command(replica.port, ['INFO', 'replication']), 'slave_repl_offset') < target
      ) {
        if (Date.now() > deadline) throw new Error(`${replica.port} did not catch up in 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async healthy(key) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          const states = await Promise.all(
            live().map(async (node) => [
              String(await command(node.port, ['CLUSTER', 'INFO'])),
              String(await command(node.port, ['INFO', 'replication'])),
            ]),
          );
          const ok = states.every(
            ([info, replication]) =>
              info?.includes('cluster_state:ok') &&
              (replication?.includes('role:master') ||
                replication?.includes('master_link_status:up')),
          );
          if (ok && (key === undefined || !(await masterOf(key)).killed)) return;
        } catch {
          // A node still starting or just failed over: ask again.
        }
        if (Date.now() > deadline) throw new Error('the cluster did not become healthy in 30 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async servedBy(key, node) {
      const deadline = Date.now() + 60_000;
      // While the failover runs, the slot map may name no live master for the slot: not yet.
      while ((await masterOf(key).catch(() => undefined)) !== node) {
        if (Date.now() > deadline) throw new Error(`${node.port} did not take "${key}" in 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await cluster.healthy(key);
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
