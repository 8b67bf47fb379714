/**
 * The Redis client libraries `@ssekit/redis` supports, at every major it supports (installed as
 * the npm aliases ioredis5, ioredis6, redis5, redis6): the one table the Redis suites run over.
 * Clients made here reconnect quickly (at most 500 ms apart) so that outage tests stay short.
 * A library is loaded when its row first makes a client, so that an instance process
 * (`instance.ts`), which uses one, does not load all four: that was most of its start.
 */
import { createRequire } from 'node:module';
import type * as Ioredis5 from 'ioredis5';
import type * as Ioredis6 from 'ioredis6';
import type * as Redis5 from 'redis5';
import type * as Redis6 from 'redis6';

const require = createRequire(import.meta.url);

export type Ioredis = Ioredis5.Redis | Ioredis6.Redis;
export type NodeRedis =
  | ReturnType<typeof Redis5.createClient>
  | ReturnType<typeof Redis6.createClient>;
export type AnyClient = Ioredis | NodeRedis;

/** The names of the table's rows. */
export const CLIENT_NAMES = ['ioredis 5', 'ioredis 6', 'node-redis 5', 'node-redis 6'] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

/** Options passed through to the library's constructor (`RESP`, `protocol`, ...). */
export type LibraryOptions = Record<string, unknown>;

export interface ClientLibrary {
  /** A new client for `url` that has started connecting and is not connected yet. */
  connecting(url: string, options?: LibraryOptions): AnyClient;
  /** A new client for `url`, connected. */
  connected(url: string, options?: LibraryOptions): Promise<AnyClient>;
  /** Closes a client made by this library, whatever its state. */
  close(client: AnyClient): Promise<void>;
  /** `true` once the client is closed for good. */
  isClosed(client: AnyClient): boolean;
}

const retryStrategy = (times: number) => Math.min(times * 50, 500);

type IoredisConstructor = new (url: string, options: LibraryOptions) => Ioredis;
type NodeRedisFactory = (options: LibraryOptions) => NodeRedis;

function ioredis(load: () => IoredisConstructor): ClientLibrary {
  const connecting = (url: string, options: LibraryOptions = {}) => {
    const Client = load();
    const client = new Client(url, { retryStrategy, ...options });
    client.on('error', () => {});
    return client;
  };
  return {
    connecting,
    async connected(url, options) {
      const client = connecting(url, options);
      await new Promise((resolve) => client.once('ready', resolve));
      return client;
    },
    async close(client) {
      (client as Ioredis).disconnect();
    },
    isClosed: (client) => (client as Ioredis).status === 'end',
  };
}

function nodeRedis(create: NodeRedisFactory): ClientLibrary {
  const make = (url: string, options: LibraryOptions = {}) => {
    const client = create({ url, socket: { reconnectStrategy: retryStrategy }, ...options });
    client.on('error', () => {});
    return client;
  };
  return {
    connecting(url, options) {
      const client = make(url, options);
      client.connect().catch(() => {});
      return client;
    },
    async connected(url, options) {
      const client = make(url, options);
      await client.connect();
      return client;
    },
    async close(client) {
      const nodeClient = client as NodeRedis;
      if (nodeClient.isOpen) nodeClient.destroy();
    },
    isClosed: (client) => !(client as NodeRedis).isOpen,
  };
}

export const clientLibraries: Record<ClientName, ClientLibrary> = {
  'ioredis 5': ioredis(() => (require('ioredis5') as typeof Ioredis5).Redis as IoredisConstructor),
  'ioredis 6': ioredis(() => (require('ioredis6') as typeof Ioredis6).Redis as IoredisConstructor),
  'node-redis 5': nodeRedis(
    (options) => (require('redis5') as typeof Redis5).createClient(options) as NodeRedis,
  ),
  'node-redis 6': nodeRedis(
    (options) => (require('redis6') as typeof Redis6).createClient(options) as NodeRedis,
  ),
};

/** `true` for the ioredis rows. */
export function isIoredis(name: ClientName): boolean {
  return name.startsWith('ioredis');
}
