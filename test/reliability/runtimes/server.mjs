/**
 * The core's fetch entry point served by a non-Node runtime, unchanged: Bun.serve or Deno.serve
 * hands each Request to createSseResponse. Prints `listening <port>` once ready.
 * Plain JavaScript so that tsc (Node types) leaves it alone; it imports the core's source.
 */
import { heartbeatRegistry } from '../../../packages/core/src/adapter.ts';
import { createSseResponse } from '../../../packages/core/src/index.ts';

const EVENTS = 100;
/** Longer than Bun's default idleTimeout (10 s), with a margin for the coarse clock that times it. */
const IDLE_MS = 14_000;

/** @param {Request} request */
function handle(request) {
  const url = new URL(request.url);
  if (url.pathname === '/registry') return Response.json(heartbeatRegistry());
  // Default options, then silence: only the default heartbeat keeps the connection alive.
  if (url.pathname === '/idle') {
    return createSseResponse(request, (stream) => {
      stream.send({ event: 'open', data: '' });
      const timer = setTimeout(() => {
        stream.send({ event: 'after-silence', data: String(IDLE_MS) });
        stream.close();
      }, IDLE_MS);
      stream.closed.then(() => clearTimeout(timer));
    });
  }
  return createSseResponse(
    request,
    (stream) => {
      stream.send({ event: 'hello', data: { lastEventId: stream.lastEventId ?? null } });
      for (let i = 1; i <= EVENTS; i++) stream.send({ id: String(i), data: { i } });
      stream.send({ event: 'multi', data: 'line 1\nline 2\r\nline 3' });
      try {
        stream.send({ event: 'x\ndata: injected', data: 'no' });
      } catch (error) {
        stream.send({ event: 'refused', data: error instanceof TypeError ? 'TypeError' : 'other' });
      }
      // `?hold` keeps the stream open until the client leaves, to watch the cleanup.
      if (!url.searchParams.has('hold')) stream.close();
    },
    { retry: 500, heartbeat: 1000 },
  );
}

if (globalThis.Bun !== undefined) {
  const server = globalThis.Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: handle });
  console.log(`listening ${server.port}`);
} else if (globalThis.Deno !== undefined) {
  globalThis.Deno.serve(
    { port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) },
    handle,
  );
} else {
  throw new Error('run this with bun or deno');
}
