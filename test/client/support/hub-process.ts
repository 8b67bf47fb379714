/**
 * Starts hub-process.mjs (a hub server in its own process) for the rest of the test, so that the
 * test can stop it with SIGSTOP and let it run again with SIGCONT.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

const script = fileURLToPath(new URL('./hub-process.mjs', import.meta.url));

/**
 * The stream's URL and the process's stop and resume. `pageFolder`: a folder whose `index.html`
 * and `client.js` the process serves too (a browser test's page, on the stream's origin).
 */
export async function startHubProcess(pageFolder?: string) {
  const args = pageFolder === undefined ? [script] : [script, pageFolder];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => {
    child.kill('SIGCONT');
    child.kill();
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    stop: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
}
