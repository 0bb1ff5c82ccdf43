import type { SlowestFilter } from '../db/queries/analytics';
import { InvalidRequestError, type ValidationDetail } from '../errors';
import { refuseNul } from './task-queries';

/** Longest analysis window: a year. */
export const MAX_PERIOD_HOURS = 24 * 366;
export const DEFAULT_BOTTLENECK_LIMIT = 10;
export const MAX_BOTTLENECK_LIMIT = 100;

export interface BottleneckFilter {
  /** Rank tasks and steps created after this time. */
  since: Date;
  /** How many of each (default 10, at most 100: larger values are clamped). */
  limit?: number;
  namespace?: string;
  name?: string;
  version?: string;
}

/** The start of an analysis window of `periodHours` (a number of hours > 0, at most a year) ending now. */
export function periodStart(periodHours: number, now = new Date()): Date {
  if (!Number.isFinite(periodHours) || periodHours <= 0 || periodHours > MAX_PERIOD_HOURS) {
    throw new InvalidRequestError(`periodHours must be a number of hours > 0 and ≤ ${MAX_PERIOD_HOURS}`, [
      { path: '/periodHours', message: `must be > 0 and ≤ ${MAX_PERIOD_HOURS}` },
    ]);
  }
  return new Date(now.getTime() - periodHours * 3_600_000);
}

export function validSince(since: Date): Date {
  if (!(since instanceof Date) || Number.isNaN(since.getTime())) {
    throw new InvalidRequestError('since must be a valid date', [
      { path: '/since', message: 'must be a date' },
    ]);
  }
  return since;
}

export function normalizeBottleneckFilter(filter: BottleneckFilter): SlowestFilter {
  const details: ValidationDetail[] = [];
  const limit = filter.limit ?? DEFAULT_BOTTLENECK_LIMIT;
  if (!Number.isInteger(limit) || limit < 1)
    details.push({ path: '/limit', message: 'must be an integer ≥ 1' });
  refuseNul({ namespace: filter.namespace, name: filter.name, version: filter.version }, details);
  if (details.length > 0) throw new InvalidRequestError('Invalid bottleneck query', details);
  return {
    since: validSince(filter.since),
    limit: Math.min(limit, MAX_BOTTLENECK_LIMIT),
    namespace: filter.namespace,
    name: filter.name,
    version: filter.version,
  };
}
