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

/** A row of `get_slowest_steps_v02`: last in_progress → complete, in seconds. */
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
       FROM get_slowest_steps_v02($1, $2, $3, $4, $5)`,
    slowestArguments(filter),
  );
  return rows;
}

/** Which namespace, task name and version to analyse (all when omitted). */
export interface AnalyticsScope {
  namespace?: string;
  name?: string;
  version?: string;
}

/** One metric of `get_duration_percentiles_v02`, in seconds; null figures when `count` is 0. */
export interface DurationStats {
  count: number;
  avg: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Task creation → terminal transition, step run time and step queue wait over a window. */
export interface DurationPercentiles {
  task: DurationStats;
  stepRun: DurationStats;
  stepQueueWait: DurationStats;
}

/** A hot spot of `get_bottleneck_report_v02`: one step of one task definition. */
export interface StepHotspot {
  stepName: string;
  taskName: string;
  namespace: string;
  version: string;
  stepCount: number;
  attempts: number;
  retries: number;
  failures: number;
  errorClasses: Record<string, number>;
  avgRunSeconds: number | null;
  avgQueueWaitSeconds: number | null;
  lastFailureAt: Date | null;
}

/** An error class of `get_bottleneck_report_v02`. */
export interface ErrorClassCount {
  errorClass: string;
  failures: number;
  stepCount: number;
  stepNames: string[];
  lastFailureAt: Date;
}

/** A row of `get_blocked_steps_v01`: pending steps of unfinished tasks waiting on parents. */
export interface BlockedStep {
  stepName: string;
  taskName: string;
  namespace: string;
  version: string;
  blockedCount: number;
  oldestBlockedSeconds: number;
  waitingOn: string[];
}

function scopeArguments(scope: AnalyticsScope): unknown[] {
  return [scope.namespace ?? null, scope.name ?? null, scope.version ?? null];
}

const DURATION_METRICS = { task: 'task', step_run: 'stepRun', step_queue_wait: 'stepQueueWait' } as const;

/**
 * Rolls the step attempts that settled since the last call up into `tasker_step_attempt_facts`, so the attempt
 * analytics read them from there; the number of attempts written (0 when another session is at it).
 */
export async function refreshStepAttemptFacts(db: Queryable, settleSeconds = 60): Promise<number> {
  const { rows } = await db.query<{ written: number }>(
    `SELECT tasker_refresh_step_attempt_facts(make_interval(secs => $1)) AS written`,
    [settleSeconds],
  );
  return rows[0].written;
}

export async function durationPercentiles(
  db: Queryable,
  since: Date,
  scope: AnalyticsScope,
): Promise<DurationPercentiles> {
  const { rows } = await db.query<DurationStats & { metric: keyof typeof DURATION_METRICS }>(
    `SELECT metric, sample_count AS count, avg_seconds AS avg, p50_seconds AS p50, p95_seconds AS p95,
            p99_seconds AS p99, max_seconds AS max
       FROM get_duration_percentiles_v02($1, $2, $3, $4)`,
    [since, ...scopeArguments(scope)],
  );
  const byMetric = Object.fromEntries(
    rows.map(({ metric, ...stats }) => [DURATION_METRICS[metric], stats]),
  ) as unknown as DurationPercentiles;
  return byMetric;
}

export async function blockedSteps(
  db: Queryable,
  limit: number,
  scope: AnalyticsScope,
): Promise<BlockedStep[]> {
  const { rows } = await db.query<BlockedStep>(
    `SELECT step_name AS "stepName", task_name AS "taskName", namespace_name AS namespace, version,
            blocked_count AS "blockedCount", oldest_blocked_seconds AS "oldestBlockedSeconds",
            waiting_on AS "waitingOn"
       FROM get_blocked_steps_v01($1, $2, $3, $4)`,
    [limit, ...scopeArguments(scope)],
  );
  return rows;
}

/** The step-attempt analytics of one window, from one `get_bottleneck_report_v02` call. */
export interface BottleneckReport {
  durations: DurationPercentiles;
  hotspots: StepHotspot[];
  errorClasses: ErrorClassCount[];
}

type JsonDated<T extends { lastFailureAt: unknown }> = Omit<T, 'lastFailureAt'> & {
  lastFailureAt: string | null;
};

/**
 * What `durationPercentiles`, `get_step_hotspots_v01` and `get_error_classes_v01` give for the same window, with the
 * window's step attempts built once instead of three times.
 */
export async function bottleneckReport(db: Queryable, filter: SlowestFilter): Promise<BottleneckReport> {
  const { rows } = await db.query<{
    durations: Array<DurationStats & { metric: keyof typeof DURATION_METRICS }>;
    hotspots: Array<JsonDated<StepHotspot>>;
    errorClasses: Array<JsonDated<ErrorClassCount>>;
  }>(
    `SELECT durations, hotspots, error_classes AS "errorClasses"
       FROM get_bottleneck_report_v02($1, $2, $3, $4, $5)`,
    slowestArguments(filter),
  );
  const [report] = rows;
  const durations = Object.fromEntries(
    report.durations.map(({ metric, ...stats }) => [DURATION_METRICS[metric], stats]),
  ) as unknown as DurationPercentiles;
  const hotspots = report.hotspots.map((row) => ({
    ...row,
    lastFailureAt: row.lastFailureAt === null ? null : new Date(row.lastFailureAt),
  }));
  const classes = report.errorClasses.map((row) => ({
    ...row,
    lastFailureAt: new Date(row.lastFailureAt ?? Number.NaN),
  }));
  return { durations, hotspots, errorClasses: classes };
}

/** A row of `get_analytics_trends_v01`: the trend figures of `get_analytics_metrics_v01` for one window. */
export interface AnalyticsTrend {
  hours: number;
  taskThroughput: number;
  completionCount: number;
  errorCount: number;
  completionRate: number;
  errorRate: number;
  avgTaskDuration: number;
  avgStepDuration: number;
  stepThroughput: number;
}

/** The trend figures for windows of `hours` before `asOf`, in one pass; ordered by `hours`. */
export async function analyticsTrends(
  db: Queryable,
  asOf: Date,
  hours: readonly number[],
): Promise<AnalyticsTrend[]> {
  const { rows } = await db.query<AnalyticsTrend>(
    `SELECT hours, task_throughput AS "taskThroughput", completion_count AS "completionCount",
            error_count AS "errorCount", completion_rate AS "completionRate", error_rate AS "errorRate",
            avg_task_duration AS "avgTaskDuration", avg_step_duration AS "avgStepDuration",
            step_throughput AS "stepThroughput"
       FROM get_analytics_trends_v01($1, $2::integer[])`,
    [asOf, hours],
  );
  return rows;
}
