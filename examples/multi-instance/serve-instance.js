/** Runs one instance as its own process: `node serve-instance.js <name> <port>`. */
import { startInstance } from './instance.js';

const [name = 'A', port = '3001'] = process.argv.slice(2);
const instance = await startInstance({
  name,
  port: Number(port),
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  key: process.env.STREAM_KEY ?? 'ssekit:example:multi-instance',
});
console.log(`instance ${name} listening on ${instance.url}`);

const stop = () => instance.close().finally(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
