import fs from 'node:fs';
import path from 'node:path';
import { SHORT } from './mode';

export const RESULTS_DIR = path.resolve(__dirname, '../results');
/** Where each scenario leaves its figures for run.cjs to merge (a temporary directory it chooses). */
export const PARTS_DIR = process.env.STRESS_PARTS_DIR ?? path.join(RESULTS_DIR, 'parts');

export type Figure = string | number | boolean | null | Figure[] | { [key: string]: Figure };

/**
 * The figures one scenario measured. Written to `<PARTS_DIR>/<scenario>.json` even when the
 * scenario fails (that is when the figures matter most); `run.cjs` merges the parts.
 */
export class ScenarioReport {
  private readonly figures: Record<string, Figure> = {};
  private readonly startedAt = Date.now();

  constructor(readonly scenario: string) {}

  set(key: string, value: Figure): void {
    this.figures[key] = value;
  }

  merge(values: Record<string, Figure>): void {
    Object.assign(this.figures, values);
  }

  write(): void {
    fs.mkdirSync(PARTS_DIR, { recursive: true });
    const part = {
      scenario: this.scenario,
      mode: SHORT ? 'short' : 'full',
      durationSeconds: Math.round((Date.now() - this.startedAt) / 100) / 10,
      figures: this.figures,
    };
    fs.writeFileSync(path.join(PARTS_DIR, `${this.scenario}.json`), `${JSON.stringify(part, null, 2)}\n`);
  }
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}
