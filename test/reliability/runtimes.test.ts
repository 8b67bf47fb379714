/**
 * Runtimes: the core's fetch entry point, unchanged, served by Bun and by Deno (pinned versions,
 * installed on first use: see support/runtime-binaries.ts). Node's fetch reads the stream and
 * eventsource-parser checks it: framing, retry, Last-Event-ID from header and query, refusal of
 * an injected field, and cleanup when the client leaves (the runtime's heartbeat registry).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from './support/figures.js';
import {
  RUNTIME_VERSIONS,
  type RuntimePackage,
  runtimeBinary,
} from './support/runtime-binaries.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('./runtimes/server.mjs', import.meta.url));
const EVENTS = 100;

interface Runtime {
  name: string;
  package: RuntimePackage;
  args: string[];
}

const runtimes: Runtime[] = [
  { name: 'Bun', package: 'bun', args: ['run', script] },
  {
    name: 'Deno',
    package: 'deno',
    // The core imports its siblings as './x.js' (NodeNext style); Deno maps them to '.ts' with this flag.
    args: [
      'run',
      '--quiet',
      '--unstable-sloppy-imports',
      // Without it Deno warns that request.signal also aborts on success (see the README's Deno
      // recipe); the last test below holds that nothing reaches stderr.
      '--unstable-no-legacy-abort',
      '--allow-net=127.0.0.1',
      script,
    ],
  },
];

interface Read {
  status: number;
  contentType: string | null;
  events: EventSourceMessage[];
  retries: number[];
}

async function readStream(url: string, headers: Record<string, string> = {}): Promise<Read> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onRetry: (retry) => retries.push(retry),
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body ?? [])
    parser.feed(decoder.decode(chunk, { stream: true }));
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    events,
    retries,
  };
}

for (const runtime of runtimes) {
  describe(`the fetch entry point on ${runtime.name}`, () => {
    let child: ChildProcess | undefined;
    let origin = '';
    let stderr = '';

    beforeAll(async () => {
      // The first run downloads the runtime (tens of MB); later runs start it from the cache.
      const binary = runtimeBinary(runtime.package);
      const started = spawn(binary, runtime.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      started.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const lines = createInterface({ input: started.stdout as NodeJS.ReadableStream });
      origin = await new Promise<string>((resolve, reject) => {
        lines.on('line', (line) => {
          const port = /^listening (\d+)$/.exec(line)?.[1];
          if (port !== undefined) resolve(`http://127.0.0.1:${port}`);
        });
        started.once('exit', (code) =>
          reject(new Error(`${runtime.name} exited ${code}: ${stderr}`)),
        );
      });
    }, 300_000);

    afterAll(() => {
      child?.kill('SIGTERM');
    });

    it('serves a spec-exact stream that eventsource-parser reads back', async () => {
      const read = await readStream(`${origin}/events`, { 'last-event-id': '41' });
      expect(read.status).toBe(200);
      expect(read.contentType).toBe('text/event-stream; charset=utf-8');
      expect(read.retries).toEqual([500]);
      expect(read.events[0]).toEqual({ event: 'hello', data: '{"lastEventId":"41"}' });
      const numbered = read.events.slice(1, EVENTS + 1);
      expect(numbered.map((event) => event.id)).toEqual(
        Array.from({ length: EVENTS }, (_, i) => String(i + 1)),
      );
      expect(numbered.map((event) => JSON.parse(event.data).i)).toEqual(
        Array.from({ length: EVENTS }, (_, i) => i + 1),
      );
      expect(read.events.slice(EVENTS + 1)).toEqual([
        { event: 'multi', data: 'line 1\nline 2\nline 3' },
        { event: 'refused', data: 'TypeError' },
      ]);
      recordFigures({
        scenario: 'Runtimes',
        target: `fetch entry point on ${runtime.name}`,
        clients: 4,
        events: read.events.length,
        errors: 0,
        note: `${runtime.name} ${RUNTIME_VERSIONS[runtime.package]}: framing, retry, Last-Event-ID (header and query, hostile query ignored), injection refused, cleanup on disconnect`,
      });
    });

    it('takes lastEventId from the query parameter and ignores a hostile one', async () => {
      const fromQuery = await readStream(`${origin}/events?lastEventId=7`);
      expect(fromQuery.events[0]).toEqual({ event: 'hello', data: '{"lastEventId":"7"}' });
      const hostile = await readStream(`${origin}/events?lastEventId=a%0D%0Adata:%20x`);
      expect(hostile.events[0]).toEqual({ event: 'hello', data: '{"lastEventId":null}' });
      const long = await readStream(`${origin}/events?lastEventId=${'a'.repeat(2048)}`);
      expect(long.events[0]).toEqual({ event: 'hello', data: '{"lastEventId":null}' });
    });

    it("keeps a stream with default options open through silence longer than the runtime's idle timeout", async () => {
      // Bun.serve cuts a connection idle for its default idleTimeout (10 s); the default
      // heartbeat must write before that. The server stays silent for 14 s, then writes.
      const read = await readStream(`${origin}/idle`);
      expect(read.events.map((event) => event.event)).toEqual(['open', 'after-silence']);
    }, 40_000);

    it('releases the stream and its heartbeat slot when the client leaves', async () => {
      const registry = async () =>
        (await (await fetch(`${origin}/registry`)).json()) as { streams: number; timers: number };
      expect(await registry()).toEqual({ streams: 0, timers: 0 });
      const controller = new AbortController();
      const response = await fetch(`${origin}/events?hold`, { signal: controller.signal });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      expect(await registry()).toEqual({ streams: 1, timers: 1 });
      controller.abort();
      // Polled over HTTP: the registry lives in the other runtime's process.
      let after = { streams: -1, timers: -1 };
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        after = await registry();
        if (after.streams === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(after).toEqual({ streams: 0, timers: 0 });
    }, 40_000);

    it('prints nothing on stderr (no runtime warning about our fetch entry)', () => {
      expect(stderr).toBe('');
    });
  });
}
