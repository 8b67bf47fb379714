import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { afterEach, expect, test } from 'vitest';
import { until } from '../../../test/support/wait.js';
import { createChat } from '../server.js';

let chat: ReturnType<typeof createChat>;
let server: Server;
afterEach(async () => {
  await chat.close();
  server.closeAllConnections();
  server.close();
});

async function start(options?: { recentSize?: number }): Promise<string> {
  chat = createChat(options);
  server = chat.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function post(base: string, room: string, body: unknown) {
  return fetch(`${base}/rooms/${room}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Opens a room's stream as `nick` and collects its messages and presence lists. */
function listen(url: string) {
  const source = new EventSource(url);
  const messages: string[] = [];
  const presence: string[][] = [];
  source.addEventListener('message', (event) => {
    const message = JSON.parse(event.data) as { nick: string; text: string };
    messages.push(`${message.nick}: ${message.text}`);
  });
  source.addEventListener('presence', (event) => {
    presence.push((JSON.parse(event.data) as { members: string[] }).members);
  });
  const opened = new Promise<void>((resolve) => source.addEventListener('open', () => resolve()));
  return { source, messages, presence, opened };
}

test('messages posted to a room reach everyone in it, and only them', async () => {
  const base = await start();
  const ann = listen(`${base}/rooms/general/events?nick=Ann`);
  const bob = listen(`${base}/rooms/general/events?nick=Bob`);
  const eve = listen(`${base}/rooms/random/events?nick=Eve`);
  await Promise.all([ann.opened, bob.opened, eve.opened]);
  await until(() => ann.presence.at(-1)?.length === 2, 'Ann to see two members');

  expect((await post(base, 'general', { nick: 'Ann', text: 'hi Bob' })).status).toBe(201);
  expect((await post(base, 'general', { nick: 'Bob', text: 'hi Ann' })).status).toBe(201);
  await until(
    () => ann.messages.length === 2 && bob.messages.length === 2,
    'both messages at Ann and Bob',
  );

  expect(ann.messages).toEqual(['Ann: hi Bob', 'Bob: hi Ann']);
  expect(bob.messages).toEqual(ann.messages);
  expect(ann.presence.at(-1)).toEqual(['Ann', 'Bob']);
  expect(eve.messages).toEqual([]);

  bob.source.close();
  await until(() => ann.presence.at(-1)?.length === 1, 'Ann to see one member');
  expect(ann.presence.at(-1)).toEqual(['Ann']);
  ann.source.close();
  eve.source.close();
});

test('a late joiner gets the recent messages, then continues live from where they end', async () => {
  const base = await start({ recentSize: 3 });
  for (const text of ['one', 'two', 'three', 'four'])
    await post(base, 'late', { nick: 'Ann', text });

  const recent = (await (await fetch(`${base}/rooms/late/recent`)).json()) as {
    messages: Array<{ text: string }>;
    lastId: string;
  };
  expect(recent.messages.map((message) => message.text)).toEqual(['two', 'three', 'four']);
  // Posted after the snapshot, before the stream opens: replayed, not lost.
  await post(base, 'late', { nick: 'Ann', text: 'five' });
  const zoe = listen(`${base}/rooms/late/events?nick=Zoe&lastEventId=${recent.lastId}`);
  await zoe.opened;
  await post(base, 'late', { nick: 'Ann', text: 'six' });
  await until(() => zoe.messages.length === 2, 'Zoe to get two messages');

  expect(zoe.messages).toEqual(['Ann: five', 'Ann: six']);
  zoe.source.close();
});

test('bad input is answered before any stream opens', async () => {
  const base = await start();
  const noNick = await fetch(`${base}/rooms/general/events`, {
    headers: { accept: 'text/event-stream' },
  });
  expect(noNick.status).toBe(400);
  expect(noNick.headers.get('content-type')).not.toMatch(/event-stream/);
  expect((await fetch(`${base}/rooms/Not%20A%20Room/recent`)).status).toBe(400);
  expect((await post(base, 'general', { nick: 'Ann', text: '   ' })).status).toBe(400);
  expect((await post(base, 'general', { nick: 'x'.repeat(25), text: 'hi' })).status).toBe(400);
});
