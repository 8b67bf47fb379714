// Builds the JavaScript of the @ssekit packages an example runs on, and only of those whose sources
// are newer than their dist (or that have none, as in a fresh clone). The examples import the
// built packages, as an application would; declarations are left to `npm run build`, because
// they take most of a full build and nothing that starts an example reads them. (Running the
// TypeScript sources directly is no way around it: Node's type stripping does not map the sources'
// `./x.js` imports to `./x.ts` without a loader hook, and Node 22 before 22.18 strips types only
// behind a flag.)
//
// Run as a script (`npm install` does, as the `prepare` step), it builds every stale package, so
// that the first `npm run demo` after an install starts at once.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);

/** The package's own tsup config with declarations off; run with the package as cwd. */
const JAVASCRIPT_ONLY_BUILD =
  "import { build } from 'tsup'; await build({ dts: false, silent: true });";

const readJson = (url) => JSON.parse(readFileSync(url, 'utf8'));

/** The published workspace packages (those under packages/), by npm name: `{ dir, manifest }`. */
function workspacePackages() {
  const packages = new Map();
  for (const folder of readJson(new URL('package.json', root)).workspaces) {
    if (!folder.startsWith('packages/')) continue;
    const dir = new URL(`${folder}/`, root);
    const manifest = readJson(new URL('package.json', dir));
    packages.set(manifest.name, { dir, manifest });
  }
  return packages;
}

/** `names` and every workspace package they depend on, in no particular order. */
function withDependencies(names, packages) {
  const needed = new Set();
  const visit = (name) => {
    const found = packages.get(name);
    if (found === undefined || needed.has(name)) return;
    needed.add(name);
    for (const dependency of Object.keys(found.manifest.dependencies ?? {})) visit(dependency);
  };
  for (const name of names) visit(name);
  return [...needed];
}

/** Every JavaScript file the package's `exports` point at (what an importer loads). */
function exportedFiles(exports) {
  if (typeof exports === 'string') return /\.[cm]?js$/.test(exports) ? [exports] : [];
  return Object.values(exports ?? {}).flatMap(exportedFiles);
}

function newestSource(dir) {
  let newest = 0;
  const visit = (url) => {
    for (const entry of readdirSync(url, { withFileTypes: true })) {
      if (entry.isDirectory()) visit(new URL(`${entry.name}/`, url));
      else if (!/\.test(-d)?\.ts$/.test(entry.name)) {
        newest = Math.max(newest, statSync(new URL(entry.name, url)).mtimeMs);
      }
    }
  };
  visit(new URL('src/', dir));
  for (const config of [new URL('package.json', dir), new URL('tsup.config.ts', dir)]) {
    newest = Math.max(newest, statSync(config).mtimeMs);
  }
  return Math.max(newest, statSync(new URL('tsup.shared.ts', root)).mtimeMs);
}

function isStale({ dir, manifest }) {
  const outputs = exportedFiles(manifest.exports).map(
    (file) => statSync(new URL(file, dir), { throwIfNoEntry: false })?.mtimeMs ?? 0,
  );
  return Math.min(...outputs) < newestSource(dir);
}

function buildJavaScript(name, dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', JAVASCRIPT_ONLY_BUILD], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(undefined);
      else reject(new Error(`building ${name} failed:\n${errors.trim()}`));
    });
  });
}

/**
 * Which of `names` (npm names, e.g. `@ssekit/express`) and their workspace dependencies have no
 * dist, or a dist older than their sources or build settings.
 */
export function stalePackages(names) {
  const packages = workspacePackages();
  return withDependencies(names, packages).filter((name) => isStale(packages.get(name)));
}

/**
 * Builds whichever of `names` and their workspace dependencies is stale, all at once, after one
 * line saying so. Resolves when every one of them is current.
 */
export async function ensureBuilt(names) {
  const stale = stalePackages(names);
  if (stale.length === 0) return;
  console.error(`Building ${stale.join(', ')}: JavaScript only, first run or changed sources...`);
  const packages = workspacePackages();
  await Promise.all(stale.map((name) => buildJavaScript(name, packages.get(name).dir)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await ensureBuilt([...workspacePackages().keys()]);
  } catch (error) {
    // An install is not the place to fail on a source error: the examples try again when started.
    console.warn(`${error.message}\nThe install went on; \`npm run build\` shows the error again.`);
  }
}
