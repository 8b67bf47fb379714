/**
 * Figures for docs/reliability-figures.md. Each scenario records one row; `npm run soak -- --report`
 * points SSEKIT_FIGURES at a file and renders the rows it collects. Without it, nothing is written.
 */
import { appendFileSync } from 'node:fs';

export interface FigureRow {
  scenario: string;
  /** Which server path: node bridge, fetch entry point, an adapter, a runtime. */
  target: string;
  clients: number;
  events: number;
  handlesBefore?: number;
  handlesAfter?: number;
  /** Bytes. */
  memoryBefore?: number;
  /** Bytes. */
  memoryAfter?: number;
  errors: number;
  /** One line on what held (or what did not). */
  note: string;
}

export function recordFigures(row: FigureRow): void {
  const file = process.env.SSEKIT_FIGURES;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ ...row, node: process.version })}\n`);
}

/**
 * How hard the scenarios push. `npm test` runs them at the quick scale, which keeps every
 * scenario and assertion inside the suite's time budget; `npm run test:reliability:full`
 * (SSEKIT_RELIABILITY=full) at the full one; `npm run soak` (SSEKIT_SOAK=1) at the heavy one.
 */
export const scale: 'quick' | 'full' | 'soak' =
  process.env.SSEKIT_SOAK === '1'
    ? 'soak'
    : process.env.SSEKIT_RELIABILITY === 'full'
      ? 'full'
      : 'quick';

/** The size for the current scale; `full` defaults to `quick` (a scenario run whole in npm test). */
export function scaled(sizes: { quick: number; full?: number; soak: number }): number {
  if (scale === 'soak') return sizes.soak;
  if (scale === 'full') return sizes.full ?? sizes.quick;
  return sizes.quick;
}
