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

/** Soak runs scale the load up; the default run stays inside the CI budget. */
export const soak = process.env.SSEKIT_SOAK === '1';

export function scaled(ci: number, heavy: number): number {
  return soak ? heavy : ci;
}
