/**
 * The built client in each runtime the issue names: Node (the one running the suite; CI runs it
 * on 22, 24 and 26), Bun and Deno (pinned, installed on first use: see
 * test/reliability/support/runtime-binaries.ts). One script, unchanged, follows a Node server
 * through a cut, a clean end and a 204: it resumes with a non-ASCII `Last-Event-ID` (sent as
 * UTF-8, as browsers do), skips a payload that is not JSON with ERR_SSE_DECODE, stops on the 204
 * without an error, and its process ends by itself (nothing left running after the close).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { openSseStream } from '@ssekit/core/node';
import { describe, expect, it } from 'vitest';
import { assertBuilt } from '../packages/support/install.js';
import { runtimeBinary } from '../reliability/support/runtime-binaries.js';
import { plainServer } from './support/servers.js';

const script = fileURLToPath(new URL('./runtimes/consume.mjs', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

const runtimes: Array<{ name: string; command: () => [string, ...string[]] }> = [
  { name: 'Node', command: () => [process.execPath, script] },
  { name: 'Bun', command: () => [runtimeBinary('bun'), 'run', script] },
  {
    name: 'Deno',
    command: () => [runtimeBinary('deno'), 'run', '--quiet', '--allow-net=127.0.0.1', script],
  },
];

/** Ids a Latin-1 header cannot carry as they are: the client must send them as UTF-8 bytes. */
const idOf = (n: number) => `${n}·東京`;

/**
 * The server: the first connection gets events 1 to 5 and is cut mid-stream once `received`
 * settles; the second (which must bring the last id, 5) a payload that is not JSON, then 6 to
 * 10, and a clean end; the third, 204.
 */
async function threeConnections(received: Promise<void>) {
  const resumedFrom: Array<string | undefined> = [];
  const server = await plainServer((req, res) => {
    if (resumedFrom.length === 0) {
      resumedFrom.push(undefined);
      // Written by hand, so that the cut ends the chunked body left open, a lost connection. It
      // waits until the client has the events: Bun's fetch (1.4.5) drops body bytes that reach
      // it with the connection's end, before a read took them (a busy machine, where the client
      // process runs late, makes that likely), so cutting right after the write tested Bun's
      // luck instead of the client's resume.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const events = [1, 2, 3, 4, 5].map((n) => `event: n\nid: ${idOf(n)}\ndata: {"n":${n}}\n\n`);
      res.write(events.join(''));
      received.then(() => req.socket.end());
      return;
    }
    if (resumedFrom.length === 2) {
      resumedFrom.push(req.headers['last-event-id'] === undefined ? undefined : 'sent');
      res.writeHead(204).end();
      return;
    }
    const stream = openSseStream(req, res);
    resumedFrom.push(stream.lastEventId);
    stream.send({ event: 'n', data: '{not json' });
    for (let n = 6; n <= 10; n++) stream.send({ event: 'n', data: { n }, id: idOf(n) });
    stream.close();
  });
  return { url: server.url, resumedFrom, requests: server.requests };
}

describe.each(runtimes)('the built client on $name', ({ command }) => {
  it('resumes after a cut with a non-ASCII Last-Event-ID, skips a bad payload, stops on 204, and its process ends', async () => {
    assertBuilt();
    // The first connection is cut once the client printed event 5, or after 60 s without it
    // (the lines it printed then show what it missed).
    let cut = () => {};
    const received = new Promise<void>((resolve) => {
      cut = resolve;
    });
    const giveUp = setTimeout(cut, 60_000);
    const server = await threeConnections(received);
    const [binary, ...args] = command();
    const child = spawn(binary, [...args, server.url], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    // Decoded as one stream: a chunk may end inside an id's multi-byte character.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes(JSON.stringify({ event: 'n', data: { n: 5 }, id: idOf(5) }))) {
        cut();
      }
    });
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    clearTimeout(giveUp);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const range = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(lines).toEqual([
      ...range(1, 5).map((n) => ({ event: 'n', data: { n }, id: idOf(n) })),
      { error: 'ERR_SSE_DECODE' },
      ...range(6, 10).map((n) => ({ event: 'n', data: { n }, id: idOf(n) })),
      { state: 'closed', error: null, lastEventId: idOf(10) },
    ]);
    expect(server.resumedFrom).toEqual([undefined, idOf(5), 'sent']);
    expect(server.requests).toHaveLength(3);
  }, 120_000);
});
