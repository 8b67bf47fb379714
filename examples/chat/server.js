import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createHub, memoryHistory } from '@ssekit/core';
import { sseResponse } from '@ssekit/h3';
import { getQuery, getRouterParam, H3, HTTPError, readBody, toNodeHandler } from 'h3';
import { vendorModule, withImportMap } from '../browser-client.js';
import { createRooms, join, leave } from './rooms.js';

const page = withImportMap(readFileSync(new URL('./index.html', import.meta.url), 'utf8'));
const ROOM_NAME = /^[a-z0-9-]{1,32}$/;

/**
 * Chat on h3: messages go up with `POST /rooms/:room/messages` and come down over
 * `GET /rooms/:room/events` (SSE). A page first draws `GET /rooms/:room/recent`, then streams
 * from the id that snapshot ends at, so a late joiner or a reloaded page sees the conversation
 * without a gap; a reconnecting page gets what it missed from the hub's history.
 *
 * @returns {{ app: import('h3').H3, createServer: () => import('node:http').Server, close: () => Promise<void> }}
 */
export function createChat({ recentSize = 50 } = {}) {
  const hub = createHub({ history: memoryHistory({ maxEvents: 5000 }) });
  const rooms = createRooms(recentSize);

  async function publish(name, room, event, data) {
    const id = await hub.publish(`room:${name}`, { event, data });
    rooms.record(room, id, event, data);
    return id;
  }

  /** Who is here: best effort, so a failure (the hub closing at shutdown) is not an error. */
  function announce(name, room, members) {
    publish(name, room, 'presence', { members }).catch(() => {});
  }

  const app = new H3();
  app.get(
    '/',
    () => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
  );

  // The built @ssekit/client the page imports (see ../browser-client.js).
  app.get('/vendor/**', async (event) => {
    const module = await vendorModule(event.url.pathname);
    if (module === undefined) throw new HTTPError('Not found.', { status: 404 });
    return new Response(module.body, { headers: { 'content-type': module.type } });
  });

  app.get('/rooms/:room/recent', (event) => {
    const { room } = roomOf(event);
    return { messages: room.recent, lastId: room.lastId ?? null };
  });

  app.post('/rooms/:room/messages', async (event) => {
    const { name, room } = roomOf(event);
    /** @type {{ nick?: unknown, text?: unknown } | undefined} */
    const body = await readBody(event);
    const message = {
      nick: text(body?.nick, 'nick', 24),
      text: text(body?.text, 'text', 500),
      time: Date.now(),
    };
    const id = await publish(name, room, 'message', message);
    event.res.status = 201;
    return { id };
  });

  app.get('/rooms/:room/events', (event) => {
    // Everything that can fail is checked before the stream opens, so it is a plain 400.
    const { name, room } = roomOf(event);
    const nick = text(getQuery(event).nick, 'nick', 24);
    return sseResponse(event, (_event, stream) => {
      hub.subscribe(stream, `room:${name}`);
      announce(name, room, join(room, nick));
      stream.closed.then(() => announce(name, room, leave(room, nick)));
    });
  });

  function roomOf(event) {
    const name = getRouterParam(event, 'room') ?? '';
    if (!ROOM_NAME.test(name)) {
      throw new HTTPError('Room names are 1 to 32 of a-z, 0-9 and "-".', { status: 400 });
    }
    const room = rooms.get(name);
    if (room === undefined)
      throw new HTTPError('Too many rooms; try an existing one.', { status: 503 });
    return { name, room };
  }

  return {
    app,
    /** A Node `http.Server` serving the app (not listening yet). */
    createServer: () => createServer(toNodeHandler(app)),
    close: () => hub.close({ retry: 1000 }),
  };
}

function text(value, field, maxLength) {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  if (trimmed === '' || trimmed.length > maxLength) {
    throw new HTTPError(`"${field}" must be 1 to ${maxLength} characters.`, { status: 400 });
  }
  return trimmed;
}
