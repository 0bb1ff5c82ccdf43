import express, { type Response, type Router } from 'express';
import type { SystemHealthCounts } from '../db/queries/health';
import type { TaskerEngine } from '../engine';
import { ConfigurationError } from '../errors';
import type { Logger } from '../interfaces';
import { assessHealth } from './health-assessment';
import type { RouteContext } from './route-context';

export interface HealthOptions {
  /** Bound on the readiness database check, in ms; default 5000. */
  readinessTimeoutMs?: number;
  /** How long `/health/status` reuses its counts, in ms; default 15000. */
  statusCacheMs?: number;
}

export type StartupState = 'idle' | 'starting' | 'ready' | 'failed';

/**
 * Follows the router's startup promise, so the readiness probe can answer from its state at once
 * instead of waiting on a startup that may take long or never finish.
 */
export class StartupTracker {
  private state: StartupState = 'idle';

  constructor(private readonly logger: Logger) {}

  get current(): StartupState {
    return this.state;
  }

  track(startup: Promise<void>): Promise<void> {
    this.state = 'starting';
    startup.then(
      () => {
        this.state = 'ready';
      },
      (error: unknown) => {
        this.state = 'failed';
        this.logger.error({ err: error }, 'Tasker failed to start');
      },
    );
    return startup;
  }
}

function positiveMs(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`\`health.${name}\` must be a finite number of milliseconds ≥ 0`);
  }
  return value;
}

/** Probes and scrapes must never be answered from a cache between their caller and the process. */
export function noCache(res: Response): void {
  res.set({ 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', Expires: '0' });
}

function elapsedMs(since: number): number {
  return Math.round(performance.now() - since);
}

function notStartedCheck(state: StartupState) {
  return state === 'failed'
    ? { status: 'failed', message: 'Tasker failed to start; see the application log' }
    : { status: 'starting', message: 'Tasker is starting' };
}

async function databaseCheck(engine: TaskerEngine, timeoutMs: number) {
  const check = await engine.checkDatabase(timeoutMs).catch((error: unknown) => ({
    healthy: false,
    responseTimeMs: 0,
    error: error instanceof Error ? error.message : String(error),
  }));
  return check.healthy
    ? { status: 'healthy', message: 'Database answered', response_time_ms: check.responseTimeMs }
    : {
        status: 'unhealthy',
        message: 'Database did not answer',
        response_time_ms: check.responseTimeMs,
        error: check.error,
      };
}

export interface HealthProbeDependencies {
  engine: TaskerEngine;
  startup: StartupTracker;
  /** Starts the router without anyone waiting on it (a readiness probe alone must bring it up). */
  start(): Promise<void>;
  options?: HealthOptions;
}

/**
 * `GET /health/live` and `GET /health/ready`: never authenticated and never waiting on startup,
 * so they are mounted before the router's ready gate.
 */
export function healthProbeRoutes({ engine, startup, start, options = {} }: HealthProbeDependencies): Router {
  const readinessTimeoutMs = positiveMs(options.readinessTimeoutMs, 'readinessTimeoutMs', 5_000);
  const router = express.Router();

  router.get('/health/live', (_req, res) => {
    noCache(res);
    res.json({ alive: true, timestamp: new Date().toISOString(), service: 'tasker' });
  });

  router.get('/health/ready', async (_req, res) => {
    noCache(res);
    const began = performance.now();
    const state = startup.current;
    if (state !== 'ready') {
      if (state === 'idle') void start();
      res.status(503).json({
        ready: false,
        message: 'System is not ready',
        checks: { startup: notStartedCheck(state) },
        failed_checks: ['startup'],
        timestamp: new Date().toISOString(),
        check_duration_ms: elapsedMs(began),
      });
      return;
    }
    const database = await databaseCheck(engine, readinessTimeoutMs);
    const ready = database.status === 'healthy';
    res.status(ready ? 200 : 503).json({
      ready,
      message: ready ? 'System is ready' : 'System is not ready',
      checks: { database },
      ...(ready ? {} : { failed_checks: ['database'] }),
      timestamp: new Date().toISOString(),
      check_duration_ms: elapsedMs(began),
    });
  });

  return router;
}

/** The counts of one router, reused for `ttlMs`; concurrent callers share one query. */
function cachedCounts(engine: TaskerEngine, ttlMs: number) {
  let entry: { at: number; counts: Promise<SystemHealthCounts> } | undefined;
  return async (): Promise<{ counts: SystemHealthCounts; cached: boolean }> => {
    const now = Date.now();
    if (entry && now - entry.at < ttlMs) return { counts: await entry.counts, cached: true };
    const counts = engine.healthCounts();
    const fresh = { at: now, counts };
    entry = fresh;
    counts.catch(() => {
      if (entry === fresh) entry = undefined;
    });
    return { counts: await counts, cached: false };
  };
}

function statusBody(counts: SystemHealthCounts, cached: boolean) {
  const { healthy, connectionUtilization } = assessHealth(counts);
  return {
    healthy,
    status: healthy ? 'healthy' : 'unhealthy',
    metrics: {
      tasks: {
        total: counts.totalTasks,
        pending: counts.pendingTasks,
        in_progress: counts.inProgressTasks,
        complete: counts.completeTasks,
        error: counts.errorTasks,
        cancelled: counts.cancelledTasks,
        resolved_manually: counts.resolvedManuallyTasks,
      },
      steps: {
        total: counts.totalSteps,
        pending: counts.pendingSteps,
        in_progress: counts.inProgressSteps,
        complete: counts.completeSteps,
        error: counts.errorSteps,
        cancelled: counts.cancelledSteps,
        resolved_manually: counts.resolvedManuallySteps,
      },
      retries: {
        retryable_errors: counts.retryableErrorSteps,
        exhausted_retries: counts.exhaustedRetrySteps,
        in_backoff: counts.inBackoffSteps,
      },
    },
    database: {
      active_connections: counts.activeConnections,
      max_connections: counts.maxConnections,
      connection_utilization: connectionUtilization,
    },
    cached,
    timestamp: new Date().toISOString(),
  };
}

/** `GET /health/status`: system counts (cached per router), 200 when healthy and 503 when not. */
export function healthStatusRoutes({ engine, guard }: RouteContext, options: HealthOptions = {}): Router {
  const counts = cachedCounts(engine, positiveMs(options.statusCacheMs, 'statusCacheMs', 15_000));
  const router = express.Router();

  router.get('/health/status', guard('tasker.health_status', 'index'), async (_req, res) => {
    let current: Awaited<ReturnType<typeof counts>>;
    try {
      current = await counts();
    } catch (error) {
      engine.logger.error({ err: error }, 'Health status check failed');
      res.status(503).json({
        healthy: false,
        status: 'error',
        error: 'status_check_failed',
        message: 'Status check failed',
        timestamp: new Date().toISOString(),
      });
      return;
    }
    const body = statusBody(current.counts, current.cached);
    res.status(body.healthy ? 200 : 503).json(body);
  });

  return router;
}
