import type { SystemHealthCounts } from '../db/queries/health';

/** Reference §9.5: a system is unhealthy past these shares. */
const MAX_CONNECTION_UTILIZATION_PERCENT = 90;
const MAX_ERROR_RATE = 0.5;

export interface HealthAssessment {
  healthy: boolean;
  /** Active connections as a percentage of the maximum, two decimals. */
  connectionUtilization: number;
}

function share(part: number, total: number): number {
  return total > 0 ? part / total : 0;
}

/** Judges the system counts, for REST `/health/status` and the GraphQL `healthStatus` query alike. */
export function assessHealth(counts: SystemHealthCounts): HealthAssessment {
  const connectionUtilization =
    Math.round(share(counts.activeConnections, counts.maxConnections) * 100 * 100) / 100;
  const healthy =
    connectionUtilization <= MAX_CONNECTION_UTILIZATION_PERCENT &&
    share(counts.errorTasks, counts.totalTasks) <= MAX_ERROR_RATE &&
    share(counts.errorSteps, counts.totalSteps) <= MAX_ERROR_RATE;
  return { healthy, connectionUtilization };
}
