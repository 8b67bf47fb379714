/**
 * The wiring recipes the README prints (docs/recipes/wiring/), run for real: Hono on
 * @hono/node-server under Node, `Bun.serve` under Bun, `Deno.serve` under Deno (pinned runtimes,
 * installed on first use: support/runtime-binaries.ts), and the Next.js App Router route handler
 * through its contract (Next calls the exported `GET` with a `Request` and sends the `Response`
 * it returns; Next itself does not run here). A client reads with fetch and eventsource-parser:
 * real events arrive, and when it aborts, the server lets go of the stream (its heartbeat
 * registry, printed by wiring/probe.mjs that runs the recipe, goes back to zero). Hono runs under
 * Node's own type stripping, so the recipe file runs exactly as printed, on the built packages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { heartbeatRegistry } from '@ssekit/core/adapter';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamic, GET, runtime } from '../../docs/recipes/wiring/next-route.js';
import { GET as tokens } from '../../docs/recipes/wiring/tokens.js';
import { runtimeBinary } from './support/runtime-binaries.js';
import { until } from './support/wait.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const probe = fileURLToPath(new URL('./wiring/probe.mjs', import.meta.url));

interface Registry {
  streams: number;
  timers: number;
}

interface Opened {
  events: EventSourceMessage[];
  abort: () => void;
  /** Resolves when the body ends (after an abort too). */
  done: Promise<void>;
}

/** Opens the stream with fetch (or hands the Response in) and feeds eventsource-parser. */
function read(response: Promise<Response>, controller: AbortController): Opened {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const decoder = new TextDecoder();
  const done = (async () => {
    const body = (await response).body as ReadableStream<Uint8Array>;
    try {
      for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  })();
  return { events, abort: () => controller.abort(), done };
}

async function twoTimeEventsThenAbort(opened: Opened): Promise<void> {
  await until(() => opened.events.length >= 2, 'two time events', 10_000);
  for (const event of opened.events.slice(0, 2)) {
    expect(event.event).toBe('time');
    expect(Number.isNaN(Date.parse(event.data))).toBe(false);
  }
  opened.abort();
  await opened.done;
}

interface ServerRecipe {
  name: string;
  recipe: string;
  /** The runtime and its arguments, before the probe and the recipe. */
  command: () => [string, ...string[]];
}

const serverRecipes: ServerRecipe[] = [
  { name: 'Hono (@hono/node-server)', recipe: 'hono', command: () => [process.execPath] },
  { name: 'Bun.serve', recipe: 'bun', command: () => [runtimeBinary('bun'), 'run'] },
  {
    name: 'Deno.serve',
    recipe: 'deno',
    command: () => [
      runtimeBinary('deno'),
      'run',
      '--quiet',
      // The flag the README gives for Deno: without it Deno warns once that request.signal
      // (which the fetch entry reads to notice a client leaving) aborts on success too.
      '--unstable-no-legacy-abort',
      '--allow-net=127.0.0.1',
      '--allow-env=PORT',
      '--allow-read',
    ],
  },
];

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

for (const target of serverRecipes) {
  describe(`the ${target.name} recipe`, () => {
    it('streams real events to fetch, and lets go of the stream when the client aborts', {
      timeout: 300_000,
    }, async () => {
      // The probe runs the recipe and prints the server's heartbeat registry as it changes.
      const [binary, ...args] = target.command();
      args.push(probe, `docs/recipes/wiring/${target.recipe}.ts`);
      const child = spawn(binary, args, {
        cwd: root,
        env: { ...process.env, PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      let registry: Registry = { streams: -1, timers: -1 };
      const origin = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
          const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
          if (url !== undefined) resolve(url);
          const state = /^registry (.*)$/.exec(line)?.[1];
          if (state !== undefined) registry = JSON.parse(state) as Registry;
        });
        child.once('exit', (code) => reject(new Error(`${target.name} exited ${code}: ${stderr}`)));
      });

      const controller = new AbortController();
      const opened = read(
        fetch(`${origin}/time`, {
          headers: { accept: 'text/event-stream' },
          signal: controller.signal,
        }),
        controller,
      );
      await until(() => opened.events.length >= 1, 'a first event', 10_000);
      await until(
        () => registry.streams === 1,
        () => `one open stream (${JSON.stringify(registry)})`,
        10_000,
      );
      await twoTimeEventsThenAbort(opened);
      await until(
        () => registry.streams === 0,
        () => `no open stream (${JSON.stringify(registry)})`,
        15_000,
      );
      expect(registry).toEqual({ streams: 0, timers: 0 });
      expect(stderr).toBe('');
    });
  });
}

describe('the Next.js App Router route handler (through its contract: GET(Request) → Response)', () => {
  it('declares the Node runtime and no caching', () => {
    expect({ runtime, dynamic }).toEqual({ runtime: 'nodejs', dynamic: 'force-dynamic' });
  });

  it('answers an event stream of real events, and lets go of it when the request aborts', async () => {
    const controller = new AbortController();
    const response = GET(
      new Request('http://localhost/time', {
        headers: { accept: 'text/event-stream' },
        signal: controller.signal,
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const opened = read(Promise.resolve(response), controller);
    await until(() => opened.events.length >= 1, 'a first event', 10_000);
    expect(heartbeatRegistry()).toEqual({ streams: 1, timers: 1 });
    await twoTimeEventsThenAbort(opened);
    await until(() => heartbeatRegistry().streams === 0, 'no open stream', 10_000);
    expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
    // Longer than the waits above together, so a stall names its step instead of timing out.
  }, 40_000);
});

describe("the README's first fetch-style example (the same contract)", () => {
  it('streams the prompt as tokens, then done, and ends the stream', async () => {
    const controller = new AbortController();
    const response = tokens(new Request('http://localhost/chat?q=hello%20from%20ssekit'));
    const opened = read(Promise.resolve(response), controller);
    await opened.done;
    expect(opened.events).toEqual([
      { id: undefined, event: 'token', data: 'hello ' },
      { id: undefined, event: 'token', data: 'from ' },
      { id: undefined, event: 'token', data: 'ssekit ' },
      { id: undefined, event: 'done', data: '' },
    ]);
    expect(heartbeatRegistry()).toEqual({ streams: 0, timers: 0 });
  });
});
