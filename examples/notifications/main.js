import { randomBytes } from 'node:crypto';
import { DEVICES } from './alerts.js';
import { createNotifications } from './server.js';

// Set both in production; random values mean sessions end when the process restarts.
const secret = process.env.SESSION_SECRET ?? randomBytes(32).toString('hex');
const ingestKey = process.env.INGEST_KEY ?? randomBytes(16).toString('hex');

const notifications = createNotifications({ secret, ingestKey });
const server = notifications.app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/`;
  console.log(`notifications: ${url}`);
  console.log(
    `send telemetry: curl -X POST ${url}telemetry -H 'x-ingest-key: ${ingestKey}' -H 'content-type: application/json' -d '{"device":"press-7","temperature":93}'`,
  );
});

// Simulated devices, so the demo has something to show: a reading every 1.5 s, now and then hot.
const devices = Object.keys(DEVICES);
const simulator = setInterval(() => {
  const device = devices[Math.floor(Math.random() * devices.length)];
  notifications.ingest({ device, temperature: 60 + Math.random() * 38 }).catch(console.error);
}, 1500);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    clearInterval(simulator);
    await notifications.close();
    server.close();
  });
}
