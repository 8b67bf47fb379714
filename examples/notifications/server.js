import { readFileSync } from 'node:fs';
import Router from '@koa/router';
import { createHub, memoryHistory } from '@ssekit/core';
import { sse } from '@ssekit/koa';
import Koa from 'koa';
import { vendorModule, withImportMap } from '../browser-client.js';
import { alertFor, USERS } from './alerts.js';
import { createTokens } from './tokens.js';

const page = withImportMap(readFileSync(new URL('./index.html', import.meta.url), 'utf8'));
const SESSION_COOKIE = 'session';
const TOPIC = 'alerts';

/**
 * Per-user alerts on Koa. A user logs in and gets a signed token in an HttpOnly cookie;
 * `/alerts/events` answers 401 before any stream opens unless the token is valid, then
 * subscribes to the one `alerts` topic with a filter that keeps only that user's alerts.
 * `POST /telemetry` (for devices, with the ingest key) turns readings into alerts.
 */
export function createNotifications({ secret, ingestKey }) {
  const tokens = createTokens(secret);
  /** @type {import('@ssekit/core').Hub<{ alert: { user: string } }>} */
  const hub = createHub({ history: memoryHistory({ maxEvents: 1000 }) });
  const router = new Router();

  /** Publishes the alert a reading calls for, if any; resolves to it. */
  async function ingest(reading) {
    const alert = alertFor(reading);
    if (alert !== undefined) await hub.publish(TOPIC, { event: 'alert', data: alert });
    return alert;
  }

  const requireUser = async (ctx, next) => {
    const user = tokens.verify(ctx.cookies.get(SESSION_COOKIE));
    if (user === undefined) {
      ctx.status = 401;
      ctx.body = { error: 'Log in first.' };
      return;
    }
    ctx.state.user = user;
    await next();
  };

  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = page;
  });

  router.post('/login', async (ctx) => {
    const { user } = await readJson(ctx);
    // A demo: any known user name logs in. Put your real authentication here.
    if (!USERS.includes(user)) ctx.throw(401, 'Unknown user.');
    ctx.cookies.set(SESSION_COOKIE, tokens.issue(user), {
      httpOnly: true,
      sameSite: 'strict',
      overwrite: true,
    });
    ctx.body = { user };
  });

  router.post('/logout', (ctx) => {
    ctx.cookies.set(SESSION_COOKIE, null);
    ctx.status = 204;
  });

  router.get('/me', requireUser, (ctx) => {
    ctx.body = { user: ctx.state.user };
  });

  // 401 comes from requireUser before `ctx.sse` is touched, so no stream is ever opened for it.
  router.get('/alerts/events', requireUser, sse({ retry: 2000 }), (ctx) => {
    const { user } = ctx.state;
    hub.subscribe(ctx.sse, TOPIC, { filter: (message) => message.data.user === user });
  });

  router.post('/telemetry', async (ctx) => {
    if (ctx.get('x-ingest-key') !== ingestKey) ctx.throw(401, 'Missing or wrong x-ingest-key.');
    try {
      const alert = await ingest(await readJson(ctx));
      ctx.status = alert === undefined ? 204 : 201;
      if (alert !== undefined) ctx.body = alert;
    } catch (error) {
      if (error instanceof TypeError) ctx.throw(400, error.message);
      throw error;
    }
  });

  const app = new Koa();
  // The built @ssekit/client the page imports (see ../browser-client.js).
  app.use(async (ctx, next) => {
    const module = await vendorModule(ctx.path);
    if (module === undefined) return next();
    ctx.type = module.type;
    ctx.body = module.body;
  });
  app.use(router.routes());
  app.use(router.allowedMethods());

  return { app, ingest, close: () => hub.close({ retry: 2000 }) };
}

/** Reads a small JSON body (no body-parser dependency for two routes). */
async function readJson(ctx) {
  if (!ctx.is('application/json')) ctx.throw(415, 'Send application/json.');
  let text = '';
  for await (const chunk of ctx.req) {
    text += chunk;
    if (text.length > 10_000) ctx.throw(413, 'Body too large.');
  }
  try {
    return JSON.parse(text) ?? {};
  } catch {
    ctx.throw(400, 'Invalid JSON.');
  }
}
