import express, { type Request, type Response, type Router } from 'express';
import type {
  AnalyticsMetrics,
  AnalyticsTrend,
  DurationPercentiles,
  DurationStats,
} from '../db/queries/analytics';
import type { TaskerEngine } from '../engine';
import { InvalidRequestError } from '../errors';
import { recommendations } from '../orchestration/analytics-recommendations';
import { MAX_PERIOD_HOURS, periodStart } from '../orchestration/analytics-queries';
import type { RouteContext } from './route-context';
import { queryString } from './params';

/** How long an answer is reused for the same query. */
const CACHE_TTL_MS = 30_000;
/** Distinct queries remembered at once; the oldest is forgotten first. */
const CACHE_ENTRIES = 100;
const TREND_WINDOWS = { last_hour: 1, last_4_hours: 4, last_24_hours: 24 } as const;

/** Answers reused for `ttlMs` per key; concurrent callers of one key share one computation. */
function answerCache<T>(ttlMs: number, maxEntries: number) {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return async (key: string, compute: () => Promise<T>): Promise<{ value: T; cached: boolean }> => {
    const now = Date.now();
    const hit = entries.get(key);
    if (hit && now - hit.at < ttlMs) return { value: await hit.value, cached: true };
    entries.delete(key);
    const value = compute();
    const entry = { at: now, value };
    entries.set(key, entry);
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    value.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return { value: await value, cached: false };
  };
}

/** `period_hours`: a number of hours > 0 and at most a year. */
function periodHours(req: Request, fallback: number): number {
  const raw = queryString(req.query, 'period_hours');
  if (raw === undefined) return fallback;
  const hours = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(hours > 0 && hours <= MAX_PERIOD_HOURS)) {
    throw new InvalidRequestError(`period_hours must be a number of hours > 0 and ≤ ${MAX_PERIOD_HOURS}`, [
      { path: '/period_hours', message: `must be a number > 0 and ≤ ${MAX_PERIOD_HOURS}` },
    ]);
  }
  return hours;
}

/** Top-level camelCase keys → snake_case (nested maps such as error class counts are kept). */
function snakeRow(row: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]),
  );
}

function missingTrend(hours: number): never {
  throw new Error(`get_analytics_trends_v01 returned no row for ${hours} h`);
}

function trend(metrics: Omit<AnalyticsTrend, 'hours'>) {
  return {
    task_throughput: metrics.taskThroughput,
    completion_rate: metrics.completionRate,
    error_rate: metrics.errorRate,
    avg_task_duration: metrics.avgTaskDuration,
    avg_step_duration: metrics.avgStepDuration,
    step_throughput: metrics.stepThroughput,
  };
}

function overview(metrics: AnalyticsMetrics) {
  return {
    active_tasks: metrics.activeTasksCount,
    total_namespaces: metrics.totalNamespacesCount,
    unique_task_types: metrics.uniqueTaskTypesCount,
    system_health_score: metrics.systemHealthScore,
    completion_count: metrics.completionCount,
    error_count: metrics.errorCount,
    ...trend(metrics),
    analysis_period_start: metrics.analysisPeriodStart,
    calculated_at: metrics.calculatedAt,
  };
}

function stats({ count, avg, p50, p95, p99, max }: DurationStats) {
  return { count, avg, p50, p95, p99, max };
}

function durations(figures: DurationPercentiles) {
  return {
    task: stats(figures.task),
    step_run: stats(figures.stepRun),
    step_queue_wait: stats(figures.stepQueueWait),
  };
}

async function performance(engine: TaskerEngine, hours: number) {
  const now = new Date();
  // The three trend windows come from one pass over the last 24 hours.
  const [current, durationFigures, trends] = await Promise.all([
    engine.analyticsPerformance(periodStart(hours, now)),
    engine.durationPercentiles(periodStart(hours, now)),
    engine.analyticsTrends(Object.values(TREND_WINDOWS), now),
  ]);
  return {
    analysis_period_hours: hours,
    system_overview: overview(current),
    performance_trends: Object.fromEntries(
      Object.entries(TREND_WINDOWS).map(([name, windowHours]) => [
        name,
        trend(trends.find((row) => row.hours === windowHours) ?? missingTrend(windowHours)),
      ]),
    ),
    durations: durations(durationFigures),
    generated_at: now.toISOString(),
  };
}

interface BottleneckQuery {
  namespace?: string;
  name?: string;
  version?: string;
  hours: number;
}

async function bottlenecks(engine: TaskerEngine, { hours, ...scope }: BottleneckQuery) {
  const now = new Date();
  const analysis = await engine.bottleneckAnalysis({ since: periodStart(hours, now), ...scope });
  return {
    scope: { namespace: scope.namespace ?? null, name: scope.name ?? null, version: scope.version ?? null },
    analysis_period_hours: hours,
    slowest_tasks: analysis.slowestTasks.map(snakeRow),
    slowest_steps: analysis.slowestSteps.map(snakeRow),
    hotspots: analysis.hotspots.map(snakeRow),
    error_classes: analysis.errorClasses.map(snakeRow),
    blocked_steps: analysis.blockedSteps.map(snakeRow),
    durations: durations(analysis.durations),
    recommendations: recommendations(analysis),
    generated_at: now.toISOString(),
  };
}

/** Invalid queries are the caller's fault (400); anything else means the analysis could not run (503). */
async function answer<T>(res: Response, engine: TaskerEngine, failure: string, work: () => Promise<T>) {
  try {
    res.json(await work());
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    engine.logger.error({ err: error }, failure);
    res
      .status(503)
      .json({ error: 'analytics_failed', message: failure, timestamp: new Date().toISOString() });
  }
}

/**
 * `GET /analytics/performance` and `GET /analytics/bottlenecks`: figures from the SQL analytics
 * functions, reused per router for 30 s per query. They need `tasker.analytics:index` only when
 * `auth.protectMetrics` is on (the default when auth is configured).
 */
export function analyticsRoutes({ engine, guard }: RouteContext): Router {
  const performanceCache = answerCache<Awaited<ReturnType<typeof performance>>>(CACHE_TTL_MS, CACHE_ENTRIES);
  const bottleneckCache = answerCache<Awaited<ReturnType<typeof bottlenecks>>>(CACHE_TTL_MS, CACHE_ENTRIES);
  const analyticsGuard = guard('tasker.analytics', 'index', { when: (settings) => settings.protectMetrics });
  const router = express.Router();

  router.get('/analytics/performance', analyticsGuard, async (req, res) => {
    const hours = periodHours(req, 1);
    await answer(res, engine, 'Performance analytics failed', async () => {
      const { value, cached } = await performanceCache(String(hours), () => performance(engine, hours));
      return { ...value, cached };
    });
  });

  router.get('/analytics/bottlenecks', analyticsGuard, async (req, res) => {
    const query: BottleneckQuery = {
      namespace: queryString(req.query, 'namespace'),
      name: queryString(req.query, 'name'),
      version: queryString(req.query, 'version'),
      hours: periodHours(req, 24),
    };
    await answer(res, engine, 'Bottleneck analysis failed', async () => {
      const { value, cached } = await bottleneckCache(JSON.stringify(query), () =>
        bottlenecks(engine, query),
      );
      return { ...value, cached };
    });
  });

  return router;
}
