export type { RedisConnection } from './connection/connection.js';
export {
  type IoredisClientLike,
  ioredisConnection,
} from './connection/ioredis.js';
export {
  type NodeRedisClientLike,
  nodeRedisConnection,
} from './connection/node-redis.js';
export type { RedisClientLike } from './connection/to-connection.js';
export { type RedisBroker, type RedisBrokerOptions, redisBroker } from './redis-broker.js';
