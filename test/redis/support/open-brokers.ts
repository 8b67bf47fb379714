/**
 * The brokers a test opens over one client library, each on a client of its own, closed with
 * their clients after each test: `start` opens one and waits until it is ready, `track` takes one
 * the test made itself.
 */
import { type RedisBroker, redisBroker } from '@ssekit/redis';
import { afterEach } from 'vitest';
import type { AnyClient, ClientLibrary } from './clients.js';
import { REDIS_URL } from './redis.js';

type BrokerOptions = Partial<Parameters<typeof redisBroker>[0]>;

/** Registers the `afterEach` that closes them; `defaults` are the options of every `start`. */
export function openBrokers(library: ClientLibrary, defaults: () => BrokerOptions = () => ({})) {
  const open: Array<{ broker: RedisBroker; client: AnyClient }> = [];
  afterEach(async () => {
    for (const { broker, client } of open.splice(0)) {
      await broker.close();
      await library.close(client);
    }
  });
  const track = (broker: RedisBroker, client: AnyClient) => {
    open.push({ broker, client });
  };
  const start = async (options: BrokerOptions = {}, url = REDIS_URL) => {
    const client = await library.connected(url);
    const broker = redisBroker({ client, onError: () => {}, ...defaults(), ...options });
    track(broker, client);
    await broker.ready();
    return broker;
  };
  return { start, track };
}
