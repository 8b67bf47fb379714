import type { RedisConnection } from './connection.js';

/**
 * Destroys a connection the broker owns and stops `unwatch`'s listener, while still listening to
 * the connection's errors: a client library may emit one after it was destroyed (node-redis's
 * cluster client emits the failure of a topology read that was in flight), and an `error` event
 * nobody listens to crashes the process.
 */
export function retire(connection: RedisConnection, unwatch: () => void): void {
  connection.onError(() => {});
  unwatch();
  connection.destroy();
}
