/**
 * The Sentinel clients `@ssekit/redis` supports: ioredis `new Redis({ sentinels, name })`, at each
 * major (the npm aliases ioredis5, ioredis6). Clients made here retry quickly so that failover
 * tests stay short. node-redis's `createSentinel` is refused by the broker
 * (`sentinel-failover.test.ts`), so it has no row here.
 */
import { Redis as Ioredis5 } from 'ioredis5';
import { Redis as Ioredis6 } from 'ioredis6';
import type { Ioredis } from './clients.js';
import { MASTER_NAME } from './local-sentinel.js';

export interface SentinelLibrary {
  readonly name: string;
  /** A new client of the primary that the Sentinel at `sentinel` names, connected. */
  connected(sentinel: { host: string; port: number }): Promise<Ioredis>;
}

const retry = (times: number) => Math.min(times * 50, 500);

type IoredisConstructor = new (options: Record<string, unknown>) => Ioredis;

function ioredis(name: string, Client: IoredisConstructor): SentinelLibrary {
  return {
    name,
    async connected(sentinel) {
      const client = new Client({
        sentinels: [sentinel],
        name: MASTER_NAME,
        retryStrategy: retry,
        sentinelRetryStrategy: retry,
        connectTimeout: 1000,
      });
      client.on('error', () => {});
      await new Promise((resolve) => client.once('ready', resolve));
      return client;
    },
  };
}

export const SENTINEL_LIBRARIES: readonly SentinelLibrary[] = [
  ioredis('ioredis 5', Ioredis5 as unknown as IoredisConstructor),
  ioredis('ioredis 6', Ioredis6 as unknown as IoredisConstructor),
];
