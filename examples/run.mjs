// `npm run example -- <name>` (and `npm run demo`): starts examples/<name> (its `main.js`) with the
// current PORT, first building the JavaScript of the @ssekit packages it uses if they are not built
// or older than their sources.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { ensureBuilt } from '../scripts/ensure-built.mjs';

const root = new URL('../', import.meta.url);
const names = readdirSync(new URL('examples/', root), { withFileTypes: true })
  .filter(
    (entry) => entry.isDirectory() && existsSync(new URL(`examples/${entry.name}/main.js`, root)),
  )
  .map((entry) => entry.name)
  .sort();
const name = process.argv[2];

if (!names.includes(name)) {
  console.error(`Usage: npm run example -- <name>\nExamples: ${names.join(', ')}`);
  process.exit(1);
}
const folder = new URL(`examples/${name}/`, root);
const { dependencies = {} } = JSON.parse(readFileSync(new URL('package.json', folder), 'utf8'));
try {
  await ensureBuilt(Object.keys(dependencies));
} catch (error) {
  console.error(`${error.message}\nThe ${name} example was not started: fix the error above.`);
  process.exit(1);
}
const child = spawn(process.execPath, ['main.js'], { cwd: folder, stdio: 'inherit' });
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
  process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
