import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, onTestFinished, test } from 'vitest';
import { freshClone } from './support/fresh-clone.js';

// These run the examples the way users do, on the built packages (the script builds any that are
// missing or older than their sources).
const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = ['clock', 'llm-stream', 'feed', 'dashboard', 'chat', 'notifications'].filter(
  (name) => existsSync(`${root}examples/${name}/main.js`),
);

let child: ChildProcess | undefined;
afterEach(stopExample);

/**
 * Starts `npm run example -- <name>`'s script in `checkout` with PORT=0 and waits for the printed
 * URL; `output` is everything it printed until then.
 */
function startExample(name: string, checkout = root): Promise<{ url: string; output: string }> {
  child = spawn(process.execPath, ['examples/run.mjs', name], {
    cwd: checkout,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = child;
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(output)?.[0];
      if (url !== undefined) resolve({ url, output });
    };
    started.stdout?.on('data', onData);
    started.stderr?.on('data', onData);
    started.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
  });
}

async function stopExample(): Promise<void> {
  const running = child;
  child = undefined;
  if (running === undefined || running.exitCode !== null) return;
  const exited = once(running, 'exit');
  running.kill('SIGTERM');
  await exited;
}

test.each(examples)(
  '`npm run example -- %s` listens on 127.0.0.1 and serves its page',
  async (name) => {
    const { url } = await startExample(name);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/<title>ssekit · /);
  },
);

test('in a fresh clone (no dist), the script builds the JavaScript of what the example uses, once', {
  timeout: 60_000,
}, async () => {
  const clone = freshClone('clock');
  onTestFinished(() => rmSync(clone, { recursive: true, force: true }));

  const first = await startExample('clock', clone);
  expect(first.output).toMatch(/^Building @ssekit\/core: JavaScript only, [^\n]*\n/);
  expect((await fetch(first.url)).ok).toBe(true);
  const dist = join(clone, 'packages/core/dist');
  expect(
    readdirSync(dist, { recursive: true }).filter((file) => /\.d\.c?ts$/.test(`${file}`)),
  ).toEqual([]);
  expect(
    readdirSync(join(clone, 'packages')).filter((name) =>
      readdirSync(join(clone, 'packages', name)).includes('dist'),
    ),
  ).toEqual(['core']);
  await stopExample();

  const second = await startExample('clock', clone);
  expect(second.output).not.toMatch(/Building/);
  expect((await fetch(second.url)).ok).toBe(true);
});
