/**
 * One server instance on a Redis Cluster, as the cluster suites run it: a hub whose broker is on
 * a fresh client of the given library, served over HTTP, with fetch readers opened against it
 * (`hubInstance`, which the Sentinel suite runs too). Every instance made registers its teardown
 * (readers, server, hub, client) in `cleanups`.
 */
import { createHub, type Hub } from '@ssekit/core';
import { type RedisBroker, type RedisBrokerOptions, redisBroker } from '@ssekit/redis';
import { partitionLayout } from '../../../packages/redis/src/partitions.js';
import { type FetchReader, fetchReader } from '../../hub/support/clients.js';
import { type HubServer, serveHub } from '../../hub/support/server.js';
import { until } from '../../support/wait.js';
import type { ClusterClient, ClusterLibrary } from './cluster-clients.js';

export interface HubInstance {
  hub: Hub;
  broker: RedisBroker;
  server: HubServer;
  /** What the hub reported (replay failures while Redis changes under it), instead of logging. */
  hubErrors: unknown[];
  /** Opens a client of `topics` over HTTP, resuming from `lastEventId` when given. */
  open(topics: readonly string[], lastEventId?: string): FetchReader;
}

export interface ClusterInstance extends HubInstance {
  client: ClusterClient;
}

/** Starts an instance on the cluster at `seeds`, 6 partitions unless `options` say otherwise. */
export async function clusterInstance(
  library: ClusterLibrary,
  seeds: ReadonlyArray<{ url: string }>,
  key: string,
  cleanups: Array<() => Promise<void> | void>,
  options: Partial<RedisBrokerOptions> = {},
): Promise<ClusterInstance> {
  const client = await library.connected(seeds);
  const instance = await hubInstance(
    { client, key, partitions: 6, ...options },
    () => library.close(client),
    cleanups,
  );
  return { ...instance, client };
}

/**
 * Starts a hub whose broker has `options` (errors left to the test), served over HTTP. Its
 * teardown, ending with `close` (the client's), goes to `cleanups`.
 */
export async function hubInstance(
  options: RedisBrokerOptions,
  close: () => Promise<void> | void,
  cleanups: Array<() => Promise<void> | void>,
): Promise<HubInstance> {
  const broker = redisBroker({ onError: () => {}, ...options });
  const hubErrors: unknown[] = [];
  const hub = createHub({ broker, onError: (error) => hubErrors.push(error) });
  const server = await serveHub(hub, { stream: { heartbeat: false } });
  const readers: FetchReader[] = [];
  cleanups.push(async () => {
    for (const reader of readers) reader.abort();
    await server.close();
    await hub.close();
    await close();
  });
  await broker.ready();
  const open = (topics: readonly string[], lastEventId?: string) => {
    const reader = fetchReader(`${server.url}?topics=${topics.join(',')}`, lastEventId);
    readers.push(reader);
    return reader;
  };
  return { hub, broker, server, hubErrors, open };
}

/** Opens one client of `topic` on each instance and waits until every hub counts its stream. */
export async function openOnEach(
  instances: readonly HubInstance[],
  topic: string,
): Promise<FetchReader[]> {
  const readers = instances.map((instance) => instance.open([topic]));
  await until(
    () => instances.every((instance) => instance.hub.stats().openStreams === 1),
    'a client subscribed on each instance',
    30_000,
  );
  return readers;
}

/** The data of a reader's default (unnamed) events, in order. */
export const dataOf = (reader: FetchReader): string[] =>
  reader.events.filter((event) => event.event === undefined).map((event) => event.data);

/** The key of the partition an id of a broker on `key` (more than one partition) belongs to. */
export const partitionKeyOf = (key: string, id: string): string =>
  key.replace(/\{([^{}]+)\}/, (_tag, inside: string) => `{${inside}:${Number(id.slice(4, 7))}}`);

/** The stream key `topic` is stored under, for a broker on `key` with `partitions` partitions. */
export const streamKeyOf = (key: string, topic: string, partitions = 6): string => {
  const layout = partitionLayout(key, partitions);
  return layout.keys[layout.partitionOf(topic)] as string;
};
