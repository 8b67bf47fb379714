/**
 * Starting server instances as child processes. The instance source is bundled once with esbuild
 * (from the workspace sources, as vitest sees them) into node_modules/.cache, where Node finds
 * the Redis clients; each instance then runs in its own process with its own connections.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { InstanceConfig } from './instance.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bundle = `${root}node_modules/.cache/ssekit-redis-tests/instance-${process.pid}.mjs`;
let built: Promise<unknown> | undefined;

function buildOnce(): Promise<unknown> {
  mkdirSync(`${root}node_modules/.cache/ssekit-redis-tests`, { recursive: true });
  built ??= build({
    entryPoints: [`${root}test/redis/support/instance.ts`],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    external: ['redis5', 'redis6', 'ioredis5', 'ioredis6'],
    alias: {
      '@ssekit/core/node': `${root}packages/core/src/node/index.ts`,
      '@ssekit/core/broker': `${root}packages/core/src/broker.ts`,
      '@ssekit/core/adapter': `${root}packages/core/src/adapter.ts`,
      '@ssekit/core': `${root}packages/core/src/index.ts`,
      '@ssekit/redis': `${root}packages/redis/src/index.ts`,
    },
  });
  return built;
}

/** Deletes the bundle (call once a suite's instances are stopped); the next start rebuilds it. */
export function removeInstanceBundle(): void {
  rmSync(bundle, { force: true });
  built = undefined;
}

/** A running instance. */
export interface Instance {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** What the instance wrote to stderr (its reported Redis errors). */
  readonly stderr: string[];
  /** Resolves with the exit code or signal when the process ends. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  /** `pad`: bytes of padding added to each event's data. */
  publish(topic: string, count: number, start: number, pad?: number): Promise<PublishResult>;
  stats(): Promise<Record<string, unknown>>;
  /** SIGTERM (graceful) and wait for the exit. */
  stop(): Promise<void>;
}

export interface PublishResult {
  status: number;
  ids: string[];
  error?: string;
}

/** Starts an instance and resolves once it listens. */
export async function startInstance(config: InstanceConfig): Promise<Instance> {
  await buildOnce();
  const child = spawn(process.execPath, [bundle], {
    env: { ...process.env, SSEKIT_INSTANCE: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (text: string) => stderr.push(text));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`${config.name} did not start: ${stderr.join('')}`)),
      15_000,
    );
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const line = out.split('\n')[0] as string;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${config.name} exited (${code}) before listening: ${stderr.join('')}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    name: config.name,
    url,
    child,
    stderr,
    exited,
    async publish(topic, count, start, pad = 0) {
      const query = `topic=${topic}&count=${count}&start=${start}&pad=${pad}`;
      const response = await fetch(`${url}/publish?${query}`, { method: 'POST' });
      return {
        status: response.status,
        ...((await response.json()) as Omit<PublishResult, 'status'>),
      };
    },
    async stats() {
      return (await (await fetch(`${url}/stats`)).json()) as Record<string, unknown>;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
