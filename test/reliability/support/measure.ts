/**
 * What a leak leaves behind, measured from outside the code under test: the process's active
 * handles by type, the core's heartbeat registry, and the heap after a full collection.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { heartbeatRegistry } from '@ssekit/core/adapter';

export interface Snapshot {
  /** Active libuv resources by type (TCPSocketWrap, Timeout, ...). */
  handles: Record<string, number>;
  /** Total of `handles`. */
  handleCount: number;
  heartbeat: { streams: number; timers: number };
  /** `heapUsed` after `gc()`, in bytes. */
  heapUsed: number;
}

type Collect = () => void;

/**
 * The real collector: `global.gc` when the process runs with --expose-gc, else the same function
 * exposed through V8's flag at run time (a fresh context picks it up).
 */
function exposeGc(): Collect {
  const existing = (globalThis as { gc?: Collect }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as Collect;
}

const collect = exposeGc();

/** Runs full collections until the heap stops shrinking (weak callbacks free in later passes). */
export async function collectGarbage(): Promise<void> {
  let previous = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 10; pass++) {
    collect();
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.memoryUsage().heapUsed;
    if (used >= previous - 64 * 1024) break;
    previous = used;
  }
}

/**
 * Two full collections back to back, then one turn: for a reading taken again and again (once per
 * batch). It frees most of what {@link collectGarbage} frees, with fewer passes and no turn
 * between them; what it leaves only makes the reading higher, so a bound checked on it is never
 * looser.
 */
export async function collectForReading(): Promise<void> {
  collect();
  collect();
  await new Promise((resolve) => setImmediate(resolve));
}

export function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

export async function snapshot(): Promise<Snapshot> {
  await collectGarbage();
  const handles = activeHandles();
  return {
    handles,
    handleCount: Object.values(handles).reduce((sum, count) => sum + count, 0),
    heartbeat: heartbeatRegistry(),
    heapUsed: process.memoryUsage().heapUsed,
  };
}

/** Handle types whose count grew between two snapshots, with the growth. */
export function grownHandles(before: Snapshot, after: Snapshot): Record<string, number> {
  const grown: Record<string, number> = {};
  for (const [type, count] of Object.entries(after.handles)) {
    const delta = count - (before.handles[type] ?? 0);
    if (delta > 0) grown[type] = delta;
  }
  return grown;
}

export const MiB = 1024 * 1024;
