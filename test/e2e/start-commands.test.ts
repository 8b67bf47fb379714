import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';

// These run the examples the way users do, so they need the built packages (`npm run build`,
// which CI runs before the tests).
const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = ['clock', 'llm-stream', 'feed', 'dashboard', 'chat', 'notifications'].filter(
  (name) => existsSync(`${root}examples/${name}/main.js`),
);

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGTERM');
  child = undefined;
});

/** Starts `npm run example -- <name>`'s script with PORT=0 and waits for the printed URL. */
function startExample(name: string): Promise<string> {
  child = spawn(process.execPath, ['examples/run.mjs', name], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = child;
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(output)?.[0];
      if (url !== undefined) resolve(url);
    };
    started.stdout?.on('data', onData);
    started.stderr?.on('data', onData);
    started.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
  });
}

test.each(examples)(
  '`npm run example -- %s` listens on 127.0.0.1 and serves its page',
  async (name) => {
    const url = await startExample(name);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/<title>ssekit · /);
  },
);
