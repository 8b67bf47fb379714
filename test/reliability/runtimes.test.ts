/**
 * Runtimes: the core's fetch entry point, unchanged, served by Bun and by Deno (the `bun` and
 * `deno` registry packages ship the binaries). Node's fetch reads the stream and
 * eventsource-parser checks it: framing, retry, Last-Event-ID from header and query, refusal of
 * an injected field, and cleanup when the client leaves (the runtime's heartbeat registry).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from './support/figures.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('./runtimes/server.mjs', import.meta.url));
const EVENTS = 100;

interface Runtime {
  name: string;
  binary: string;
  args: string[];
}

const runtimes: Runtime[] = [
  { name: 'Bun', binary: `${root}node_modules/.bin/bun`, args: ['run', script] },
  {
    name: 'Deno',
    binary: `${root}node_modules/.bin/deno`,
    // The core imports its siblings as './x.js' (NodeNext style); Deno maps them to '.ts' with this flag.
    args: ['run', '--quiet', '--unstable-sloppy-imports', '--allow-net=127.0.0.1', script],
  },
];

/** Why a runtime cannot run here, or `undefined` when it can. */
function unavailable(runtime: Runtime): string | undefined {
  const probe = spawnSync(runtime.binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error) return `${runtime.binary} cannot start: ${probe.error.message}`;
  if (probe.status !== 0)
    return `${runtime.binary} --version exited ${probe.status}: ${probe.stderr}`;
  return undefined;
}

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
  const reason = unavailable(runtime);
  if (reason !== undefined) {
    console.warn(`runtimes: ${runtime.name} skipped: ${reason}`);
  }

  describe.skipIf(reason !== undefined)(`the fetch entry point on ${runtime.name}`, () => {
    let child: ChildProcess;
    let origin = '';
    let stderr = '';

    beforeAll(async () => {
      child = spawn(runtime.binary, runtime.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      origin = await new Promise<string>((resolve, reject) => {
        lines.on('line', (line) => {
          const port = /^listening (\d+)$/.exec(line)?.[1];
          if (port !== undefined) resolve(`http://127.0.0.1:${port}`);
        });
        child.once('exit', (code) =>
          reject(new Error(`${runtime.name} exited ${code}: ${stderr}`)),
        );
      });
    }, 60_000);

    afterAll(() => {
      child.kill('SIGTERM');
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
        note: `${runtime.name} ${versionOf(runtime)}: framing, retry, Last-Event-ID (header and query, hostile query ignored), injection refused, cleanup on disconnect`,
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
  });
}

function versionOf(runtime: Runtime): string {
  return (
    /\d+\.\d+\.\d+/.exec(
      spawnSync(runtime.binary, ['--version'], { encoding: 'utf8' }).stdout,
    )?.[0] ?? '?'
  );
}
