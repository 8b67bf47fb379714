#!/usr/bin/env node
/**
 * The wall time of `npm test` against its budget, measured the only way that compares: on this
 * machine, in the same sitting, beside the suite the budget was set on. Machines differ more than
 * the suite's changes do (the root README, "Working on ssekit", has the figures), so a figure
 * from another machine says nothing about this one.
 *
 *   node bench/test-wall-time.mjs [--runs=1] [--against=ca7ea21] [--no-against]
 *
 * Each run prints the suite's seconds of wall time, of CPU (every process on the machine, from
 * /proc/stat: tests, their servers, browsers, Redis, compilers) and of idle cores, then the ratio
 * of this tree's median to the reference's, the two suites' runs alternating. The reference, by default ca7ea21 (the commit whose
 * 134 s on 2 cores set the budget), is cloned from this repository into a temporary folder,
 * installed and built there; the folder is removed afterwards. Linux only (/proc/stat). Run it on
 * a quiet machine: another process's CPU is counted as the suite's.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUDGET_SECONDS = 134;
const BUDGET_COMMIT = 'ca7ea21';

const flags = process.argv.slice(2);
const option = (key, fallback) =>
  flags.find((flag) => flag.startsWith(`--${key}=`))?.split('=')[1] ?? fallback;
const runs = Number(option('runs', 1));
const against = flags.includes('--no-against') ? undefined : option('against', BUDGET_COMMIT);

const root = fileURLToPath(new URL('../', import.meta.url));

/** Jiffies since boot, busy and idle, summed over every core. */
function cpuJiffies() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
}

function run(command, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Seconds per jiffy: USER_HZ, 100 on every Linux build that matters here. */
const JIFFY = 1 / 100;

/** One whole `npm test`: its seconds of wall, CPU and idle, and vitest's closing "Tests" line. */
async function timeSuite(cwd) {
  const before = cpuJiffies();
  const started = performance.now();
  const { code, output } = await run('npm', ['test'], cwd);
  const wall = (performance.now() - started) / 1000;
  const after = cpuJiffies();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: vitest colours its summary
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  const tests = plain.match(/^\s*Tests\s+(.+)$/m)?.[1].trim() ?? 'no summary';
  if (code !== 0) {
    const tail = plain.split('\n').slice(-40).join('\n');
    throw new Error(`npm test failed in ${cwd} (exit ${code}):\n${tail}`);
  }
  return {
    wall,
    cpu: (after.busy - before.busy) * JIFFY,
    idle: (after.idle - before.idle) * JIFFY,
    tests,
  };
}

const seconds = (value) => `${value.toFixed(1)} s`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One run of the suite in `cwd`, printed as a row; returns its wall seconds. */
async function measureOnce(label, index, cwd) {
  const result = await timeSuite(cwd);
  console.log(
    `| ${label} | ${index + 1} | ${seconds(result.wall)} | ${seconds(result.cpu)} | ` +
      `${seconds(result.idle)} | ${result.tests} |`,
  );
  return result.wall;
}

/** A clean clone of `commit`, installed and built as its own README says, in a temporary folder. */
function checkout(commit) {
  const folder = mkdtempSync(join(tmpdir(), 'ssekit-test-wall-time-'));
  const quiet = { cwd: folder, stdio: 'ignore' };
  execFileSync('git', ['clone', '--quiet', root, folder], { stdio: 'ignore' });
  execFileSync('git', ['checkout', '--quiet', commit], quiet);
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], quiet);
  execFileSync('npm', ['run', 'build'], quiet);
  return folder;
}

console.log(
  `Workload: the whole \`npm test\` (vitest run), once per run, the two suites alternating.\n` +
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ` +
    `Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the start.\n`,
);
console.log('| suite | run | wall | CPU (all processes) | idle cores | tests |');
console.log('|---|---|---|---|---|---|');
// The two suites alternate (this tree, the reference, this tree, ...): a machine that slows down
// or warms up over the sitting weighs on both alike.
const folder = against === undefined ? undefined : checkout(against);
const walls = { current: [], reference: [] };
try {
  for (let index = 0; index < runs; index++) {
    walls.current.push(await measureOnce('this tree', index, root));
    if (folder !== undefined) walls.reference.push(await measureOnce(against, index, folder));
  }
} finally {
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
}
const current = median(walls.current);
if (folder !== undefined) {
  const reference = median(walls.reference);
  console.log(
    `\nthis tree / ${against}: ${(current / reference).toFixed(2)}x the wall time ` +
      `(medians ${seconds(current)} / ${seconds(reference)}).`,
  );
}
console.log(
  `Budget: ${BUDGET_SECONDS} s on 2 cores, set by ${BUDGET_COMMIT} on the machine of that day; ` +
    `this tree's median: ${seconds(current)}.`,
);
