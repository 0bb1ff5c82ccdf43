import type pg from 'pg';
import type { Queryable } from '../pool';

export interface DatabaseCheck {
  healthy: boolean;
  responseTimeMs: number;
  error?: string;
}

/** `SELECT 1` bounded by a timeout: a database that hangs counts as down. */
export async function pingDatabase(pool: pg.Pool, timeoutMs: number): Promise<DatabaseCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([pool.query('SELECT 1'), timeout]);
    return { healthy: true, responseTimeMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      healthy: false,
      responseTimeMs: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

export interface SystemHealthCounts {
  totalTasks: number;
  pendingTasks: number;
  inProgressTasks: number;
  completeTasks: number;
  errorTasks: number;
  cancelledTasks: number;
  resolvedManuallyTasks: number;
  totalSteps: number;
  pendingSteps: number;
  inProgressSteps: number;
  completeSteps: number;
  errorSteps: number;
  cancelledSteps: number;
  resolvedManuallySteps: number;
  retryableErrorSteps: number;
  exhaustedRetrySteps: number;
  inBackoffSteps: number;
  activeConnections: number;
  maxConnections: number;
}

export async function systemHealthCounts(db: Queryable): Promise<SystemHealthCounts> {
  const { rows } = await db.query<SystemHealthCounts>(
    `SELECT total_tasks AS "totalTasks", pending_tasks AS "pendingTasks", in_progress_tasks AS "inProgressTasks",
            complete_tasks AS "completeTasks", error_tasks AS "errorTasks", cancelled_tasks AS "cancelledTasks",
            resolved_manually_tasks AS "resolvedManuallyTasks", total_steps AS "totalSteps",
            pending_steps AS "pendingSteps", in_progress_steps AS "inProgressSteps", complete_steps AS "completeSteps",
            error_steps AS "errorSteps", cancelled_steps AS "cancelledSteps",
            resolved_manually_steps AS "resolvedManuallySteps", retryable_error_steps AS "retryableErrorSteps",
            exhausted_retry_steps AS "exhaustedRetrySteps", in_backoff_steps AS "inBackoffSteps",
            active_connections AS "activeConnections", max_connections AS "maxConnections"
       FROM get_system_health_counts_v01()`,
  );
  return rows[0];
}
