/**
 * One command: two instances in two processes, both on the local Redis, behind a round-robin
 * balancer on http://127.0.0.1:3000 (PORT). Stop with Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startBalancer } from './balancer.js';

const port = Number(process.env.PORT ?? 3000);
const instances = [
  { name: 'A', port: port + 1 },
  { name: 'B', port: port + 2 },
];
const script = fileURLToPath(new URL('./serve-instance.js', import.meta.url));

const children = instances.map(({ name, port: instancePort }) =>
  spawn(process.execPath, [script, name, String(instancePort)], { stdio: 'inherit' }),
);
const balancer = await startBalancer({
  port,
  targets: instances.map(({ port: instancePort }) => `http://127.0.0.1:${instancePort}`),
});
console.log(`balancer on ${balancer.url}: open it in a browser (instances A and B behind it)`);

const stop = async () => {
  for (const child of children) child.kill('SIGTERM');
  await balancer.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
