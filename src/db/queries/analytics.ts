import type { Queryable } from '../pool';

/** `get_analytics_metrics_v01`: rates are percentages (0–100), durations seconds. */
export interface AnalyticsMetrics {
  activeTasksCount: number;
  totalNamespacesCount: number;
  uniqueTaskTypesCount: number;
  systemHealthScore: number;
  taskThroughput: number;
  completionCount: number;
  errorCount: number;
  completionRate: number;
  errorRate: number;
  avgTaskDuration: number;
  avgStepDuration: number;
  stepThroughput: number;
  analysisPeriodStart: Date;
  calculatedAt: Date;
}

/** Which finished tasks and steps to rank, and how many of each. */
export interface SlowestFilter {
  since: Date;
  limit: number;
  namespace?: string;
  name?: string;
  version?: string;
}

/** A row of `get_slowest_tasks_v01`: creation → terminal transition, in seconds. */
export interface SlowTask {
  taskId: number;
  taskName: string;
  namespace: string;
  version: string;
  durationSeconds: number;
  stepCount: number;
  completedSteps: number;
  errorSteps: number;
  createdAt: Date;
  completedAt: Date;
  initiator: string | null;
  sourceSystem: string | null;
}

/** A row of `get_slowest_steps_v01`: last in_progress → complete, in seconds. */
export interface SlowStep {
  workflowStepId: number;
  taskId: number;
  stepName: string;
  taskName: string;
  namespace: string;
  version: string;
  durationSeconds: number;
  attempts: number;
  createdAt: Date;
  completedAt: Date;
  retryable: boolean;
  status: string;
}

export async function analyticsMetrics(db: Queryable, since: Date): Promise<AnalyticsMetrics> {
  const { rows } = await db.query<AnalyticsMetrics>(
    `SELECT active_tasks_count AS "activeTasksCount", total_namespaces_count AS "totalNamespacesCount",
            unique_task_types_count AS "uniqueTaskTypesCount", system_health_score AS "systemHealthScore",
            task_throughput AS "taskThroughput", completion_count AS "completionCount",
            error_count AS "errorCount", completion_rate AS "completionRate", error_rate AS "errorRate",
            avg_task_duration AS "avgTaskDuration", avg_step_duration AS "avgStepDuration",
            step_throughput AS "stepThroughput", analysis_period_start AS "analysisPeriodStart",
            calculated_at AS "calculatedAt"
       FROM get_analytics_metrics_v01($1)`,
    [since],
  );
  return rows[0];
}

function slowestArguments(filter: SlowestFilter): unknown[] {
  return [filter.since, filter.limit, filter.namespace ?? null, filter.name ?? null, filter.version ?? null];
}

export async function slowestTasks(db: Queryable, filter: SlowestFilter): Promise<SlowTask[]> {
  const { rows } = await db.query<SlowTask>(
    `SELECT task_id AS "taskId", task_name AS "taskName", namespace_name AS namespace, version,
            duration_seconds AS "durationSeconds", step_count AS "stepCount",
            completed_steps AS "completedSteps", error_steps AS "errorSteps", created_at AS "createdAt",
            completed_at AS "completedAt", initiator, source_system AS "sourceSystem"
       FROM get_slowest_tasks_v01($1, $2, $3, $4, $5)`,
    slowestArguments(filter),
  );
  return rows;
}

export async function slowestSteps(db: Queryable, filter: SlowestFilter): Promise<SlowStep[]> {
  const { rows } = await db.query<SlowStep>(
    `SELECT workflow_step_id AS "workflowStepId", task_id AS "taskId", step_name AS "stepName",
            task_name AS "taskName", namespace_name AS namespace, version,
            duration_seconds AS "durationSeconds", attempts, created_at AS "createdAt",
            completed_at AS "completedAt", retryable, step_status AS status
       FROM get_slowest_steps_v01($1, $2, $3, $4, $5)`,
    slowestArguments(filter),
  );
  return rows;
}
