import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { afterEach, expect, test } from 'vitest';
import { until } from '../../../test/support/wait.js';
import { createNotifications } from '../server.js';
import { createTokens } from '../tokens.js';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const ingestKey = 'test-ingest-key';
let notifications: ReturnType<typeof createNotifications>;
let server: Server;
afterEach(async () => {
  await notifications.close();
  server.closeAllConnections();
  server.close();
});

async function start(): Promise<string> {
  notifications = createNotifications({ secret, ingestKey });
  server = notifications.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function login(base: string, user: string): Promise<string> {
  const response = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  expect(response.status).toBe(200);
  const cookie = response.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/httponly/i);
  return cookie.split(';')[0] as string;
}

function telemetry(base: string, reading: unknown, key = ingestKey) {
  return fetch(`${base}/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-ingest-key': key },
    body: JSON.stringify(reading),
  });
}

/** An EventSource that sends `cookie`, collecting the devices of the alerts it receives. */
function inbox(base: string, cookie: string) {
  const source = new EventSource(`${base}/alerts/events`, {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, cookie } }),
  });
  const alerts: string[] = [];
  source.addEventListener('alert', (event) => {
    const alert = JSON.parse(event.data) as { device: string; severity: string };
    alerts.push(`${alert.severity} ${alert.device}`);
  });
  const opened = new Promise<void>((resolve) => source.addEventListener('open', () => resolve()));
  return { source, alerts, opened };
}

test('each user sees only the alerts of their own devices', async () => {
  const base = await start();
  const alice = inbox(base, await login(base, 'alice'));
  const bob = inbox(base, await login(base, 'bob'));
  await Promise.all([alice.opened, bob.opened]);

  expect((await telemetry(base, { device: 'boiler-1', temperature: 71 })).status).toBe(204);
  expect((await telemetry(base, { device: 'press-7', temperature: 95.5 })).status).toBe(201);
  expect((await telemetry(base, { device: 'boiler-2', temperature: 84 })).status).toBe(201);
  expect((await telemetry(base, { device: 'boiler-1', temperature: 91 })).status).toBe(201);
  await until(
    () => alice.alerts.length === 2 && bob.alerts.length === 1,
    'two alerts for Alice and one for Bob',
  );

  expect(alice.alerts).toEqual(['warning boiler-2', 'critical boiler-1']);
  expect(bob.alerts).toEqual(['critical press-7']);
  alice.source.close();
  bob.source.close();
});

test('without a valid session the stream answers 401 and never opens', async () => {
  const base = await start();
  const forged = createTokens('another-secret-that-is-long-enough-0123456789').issue('alice');
  const expired = createTokens(secret, { ttlMs: -1 }).issue('alice');
  const valid = (await login(base, 'alice')).split('=')[1] as string;
  const tampered = `${Buffer.from(JSON.stringify({ sub: 'bob', exp: Date.now() + 60_000 })).toString('base64url')}.${valid.split('.')[1]}`;

  for (const cookie of [
    '',
    `session=${forged}`,
    `session=${expired}`,
    `session=${tampered}`,
    'session=x.y',
  ]) {
    const response = await fetch(`${base}/alerts/events`, {
      headers: { accept: 'text/event-stream', cookie },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  }
});

test('an EventSource refused with 401 stops instead of retrying', async () => {
  const base = await start();
  let attempts = 0;
  const source = new EventSource(`${base}/alerts/events`, {
    fetch: (url, init) => {
      attempts += 1;
      return fetch(url, init);
    },
  });
  await new Promise<void>((resolve) => source.addEventListener('error', () => resolve()));
  expect(source.readyState).toBe(source.CLOSED);
  expect(attempts).toBe(1);
});

test('telemetry needs the ingest key and a well-formed reading', async () => {
  const base = await start();
  expect((await telemetry(base, { device: 'press-7', temperature: 99 }, 'wrong')).status).toBe(401);
  expect((await telemetry(base, { device: 'nope', temperature: 99 })).status).toBe(400);
  expect((await telemetry(base, { device: 'press-7', temperature: 'hot' })).status).toBe(400);
});
