/**
 * The Redis Cluster clients `@ssekit/redis` supports: node-redis `createCluster` and ioredis
 * `Cluster`, at each major (the npm aliases redis5, redis6, ioredis5, ioredis6). Clients made here
 * retry quickly so that failover tests stay short. Each library is loaded when its first client is
 * made: a failover or resharding file tests one of the four.
 */
import type { Cluster as IoredisCluster5 } from 'ioredis5';
import type { Cluster as IoredisCluster6 } from 'ioredis6';
import type { createCluster as createCluster5 } from 'redis5';
import type { createCluster as createCluster6 } from 'redis6';

export type ClusterClient =
  | ReturnType<typeof createCluster5>
  | ReturnType<typeof createCluster6>
  | IoredisCluster5
  | IoredisCluster6;

export interface ClusterLibrary {
  readonly name: string;
  /** A new client of the cluster whose nodes are `seeds`, connected. */
  connected(seeds: ReadonlyArray<{ url: string }>): Promise<ClusterClient>;
  close(client: ClusterClient): void;
}

const retry = (times: number) => Math.min(times * 50, 500);

function nodeRedis(name: string, load: () => Promise<typeof createCluster5>): ClusterLibrary {
  return {
    name,
    async connected(seeds) {
      const create = await load();
      const client = create({
        rootNodes: seeds.map(({ url }) => ({ url })),
        defaults: { socket: { reconnectStrategy: retry, connectTimeout: 1000 } },
      });
      client.on('error', () => {});
      await client.connect();
      return client;
    },
    close(client) {
      const cluster = client as ReturnType<typeof createCluster5>;
      if (cluster.isOpen) cluster.destroy();
    },
  };
}

function ioredis(name: string, load: () => Promise<typeof IoredisCluster5>): ClusterLibrary {
  return {
    name,
    async connected(seeds) {
      const Cluster = await load();
      const client = new Cluster(
        seeds.map(({ url }) => {
          const { hostname, port } = new URL(url);
          return { host: hostname, port: Number(port) };
        }),
        {
          clusterRetryStrategy: retry,
          redisOptions: { connectTimeout: 1000 },
        },
      );
      client.on('error', () => {});
      await new Promise((resolve) => client.once('ready', resolve));
      return client;
    },
    close(client) {
      (client as IoredisCluster5).disconnect();
    },
  };
}

export const CLUSTER_LIBRARIES: readonly ClusterLibrary[] = [
  nodeRedis('node-redis 5', async () => (await import('redis5')).createCluster),
  nodeRedis(
    'node-redis 6',
    async () => (await import('redis6')).createCluster as unknown as typeof createCluster5,
  ),
  ioredis('ioredis 5', async () => (await import('ioredis5')).Cluster),
  ioredis(
    'ioredis 6',
    async () => (await import('ioredis6')).Cluster as unknown as typeof IoredisCluster5,
  ),
];
