// `npm run example -- <name>`: starts examples/<name> (its `main.js`) with the current PORT.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

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
if (!existsSync(new URL('packages/core/dist/index.js', root))) {
  console.error('The examples run the built packages: run `npm run build` first.');
  process.exit(1);
}
const child = spawn(process.execPath, ['main.js'], {
  cwd: new URL(`examples/${name}/`, root),
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
