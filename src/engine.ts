import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { defaultLogger } from './config/logger';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded';
import { migrateUp } from './db/migrator';
import { createPool, type Queryable } from './db/pool';
import {
  pingDatabase,
  systemHealthCounts,
  type DatabaseCheck,
  type SystemHealthCounts,
} from './db/queries/health';
import {
  findSteps,
  findTask,
  findTasks,
  findTasksByIds,
  type StepRow,
  type TaskRow,
} from './db/queries/task-reads';
import {
  analyticsMetrics,
  blockedSteps,
  analyticsTrends,
  bottleneckReport,
  durationPercentiles,
  refreshStepAttemptFacts,
  slowestSteps,
  slowestTasks,
  type AnalyticsMetrics,
  type AnalyticsTrend,
  type AnalyticsScope,
  type BlockedStep,
  type DurationPercentiles,
  type ErrorClassCount,
  type SlowStep,
  type SlowTask,
  type StepHotspot,
} from './db/queries/analytics';
import {
  findAnnotationsOfTasks,
  findAnnotationTypes,
  findTaskIdsByAnnotation,
  type AnnotationTypeRecord,
  type TaskAnnotationRecord,
} from './db/queries/annotations';
import {
  findNamedSteps,
  findNamedTasksOfTasks,
  type NamedStepRecord,
  type NamedTaskOfTask,
} from './db/queries/definition-reads';
import {
  findStepTransitions,
  findTaskTransitions,
  type StepTransitionRecord,
  type TaskTransitionRecord,
} from './db/queries/transition-history';
import {
  normalizeBottleneckFilter,
  validSince,
  type BottleneckFilter,
} from './orchestration/analytics-queries';
import {
  normalizeAnnotationQuery,
  normalizeTaskListQuery,
  validateStepChanges,
  validateTaskChanges,
  type StepChanges,
  type AnnotationQuery,
  type TaskChanges,
  type TaskList,
  type TaskListQuery,
} from './orchestration/task-queries';
import { queuedJobCounts } from './db/queries/queue-depth';
import { eventCatalog } from './events/catalog';
import { EventBus } from './events/event-bus';
import { NotFoundError } from './errors';
import type {
  Logger,
  RunUntilSettledOptions,
  Task,
  TaskerEvents,
  TaskerOptions,
  TaskRequest,
  WorkerOptions,
  WorkflowStep,
} from './interfaces';
import { TaskerMetrics, validateMetricsOption, type MetricsOptions } from './observability/metrics';
import { TaskerTracing, validateTracingOption, type TracingOptions } from './observability/tracing';
import { findTaskTrace } from './db/queries/tasks';
import { normalizeBackoffOptions, type BackoffOptions } from './orchestration/backoff';
import { ContextValidator } from './orchestration/context-validator';
import { DefinitionStore } from './orchestration/definition-store';
import { NamespaceWorker, type NamespaceWorkerOptions } from './orchestration/namespace-worker';
import type { StepAttemptObserver } from './orchestration/attempt-observer';
import { RunningSteps } from './orchestration/running-steps';
import { StepExecutor } from './orchestration/step-executor';
import { TaskControl } from './orchestration/task-control';
import { TaskInitializer } from './orchestration/task-initializer';
import { TaskReconciler } from './orchestration/task-reconciler';
import { Signals } from './orchestration/signals';
import { assertStorable } from './orchestration/storable-json';
import type { TransitionEvent, TransitionListener } from './events/transition-event';
import { queueNameFor, StepQueue } from './queue/step-queue';
import { TaskRegistry } from './registry/task-registry';
import { loadTaskDefinitionDirectory } from './registry/yaml';
import type { JsonObject, JsonValue, TaskDefinition } from './registry/types';
import { TERMINAL_TASK_STATES, type StepState, type TaskState } from './state/states';
import { TransitionService } from './state/transition-service';
import { VacuumMaintenance } from './db/vacuum-maintenance';

const DEFAULT_TASK_DIRECTORY = path.join('config', 'tasker', 'tasks');
const SETTLE_POLL_MS = 25;
/** How often (at most) the attempt analytics roll settled step attempts up before answering. */
const ATTEMPT_ROLLUP_INTERVAL_MS = 15_000;

interface Runtime {
  pool: pg.Pool;
  embedded: EmbeddedDatabase | undefined;
  queue: StepQueue;
  signals: Signals;
  initializer: TaskInitializer;
  control: TaskControl;
  executor: StepExecutor;
  maintenance: VacuumMaintenance | undefined;
}

type ResolvedWorkerOptions = NamespaceWorkerOptions & {
  namespaces: string[] | undefined;
  recoveryCheckSeconds: number;
  eagerDispatch: boolean;
};

function resolveWorkerOptions(worker: false | WorkerOptions | undefined): ResolvedWorkerOptions | false {
  if (worker === false) return false;
  return {
    concurrency: worker?.concurrency ?? 10,
    batchSize: worker?.batchSize ?? 10,
    pollIntervalMs: worker?.pollIntervalMs ?? 1_000,
    heartbeatSeconds: Math.max(10, worker?.heartbeatSeconds ?? 30),
    recoveryCheckSeconds: Math.max(1, worker?.recoveryCheckSeconds ?? 10),
    namespaces: worker?.namespaces,
    eagerDispatch: worker?.eagerDispatch ?? true,
  };
}

/** The result of `engine.bottleneckAnalysis`. */
export interface BottleneckAnalysis {
  slowestTasks: SlowTask[];
  slowestSteps: SlowStep[];
  hotspots: StepHotspot[];
  errorClasses: ErrorClassCount[];
  blockedSteps: BlockedStep[];
  durations: DurationPercentiles;
}

/** The programmatic API: everything the router, the CLI and tests use. */
export class TaskerEngine {
  readonly registry: TaskRegistry;
  readonly events: TaskerEvents;
  readonly logger: Logger;
  private readonly bus: EventBus;
  private readonly transitions: TransitionService;
  private readonly running = new RunningSteps();
  /** Validated once, when the engine is created. */
  private readonly backoff: BackoffOptions;
  /** Metrics and tracing hook in here (see `observeAttempts`). */
  private readonly attemptObservers: StepAttemptObserver[] = [];
  private readonly transitionListeners = new Map<TransitionListener, (() => void) | undefined>();
  private signals: Signals | undefined;
  private readonly workers = new Map<string, NamespaceWorker>();
  private readonly workerOptions: ResolvedWorkerOptions | false;
  private runtime: Promise<Runtime> | undefined;
  private closing: Promise<void> | undefined;
  private readonly instruments: TaskerMetrics | undefined;
  private readonly tracing: TaskerTracing | undefined;
  private attemptRollup: { startedAt: number; done: Promise<unknown> } | undefined;

  constructor(private readonly options: TaskerOptions = {}) {
    this.logger = options.logger ?? defaultLogger();
    this.bus = new EventBus((error, event) =>
      this.logger.error({ err: error, event: event.name }, 'An event subscriber failed'),
    );
    this.events = {
      subscribe: (pattern, subscriber) => this.bus.subscribe(pattern, subscriber),
      catalog: () => eventCatalog(this.registry.list()),
    };
    this.transitions = new TransitionService(this.bus, (event) => this.signals?.broadcastTransition(event));
    this.workerOptions = resolveWorkerOptions(options.worker);
    // A process that runs no steps (an API that only creates tasks) needs definitions, not handlers.
    this.registry = new TaskRegistry({
      stepHandlers: options.stepHandlers ?? {},
      requireHandlers: this.workerOptions !== false || options.stepHandlers !== undefined,
    });
    this.backoff = normalizeBackoffOptions(options.backoff);
    for (const definition of options.tasks ?? []) this.registry.register(definition);
    validateMetricsOption(options.metrics);
    this.instruments = options.metrics === false ? undefined : this.instrument(options.metrics);
    validateTracingOption(options.tracing);
    this.tracing = options.tracing === false ? undefined : this.trace(options.tracing);
  }

  /** The prom-client registry this engine's metrics are on; undefined with `metrics: false`. */
  get metrics(): Registry | undefined {
    return this.instruments?.registry;
  }

  /** Connects (starting the embedded database when no URL is configured), migrates, loads YAML definitions and starts workers. */
  ready(): Promise<void> {
    return this.started().then(() => undefined);
  }

  /** Registers one more definition (e.g. after `ready()`); `replace` swaps an existing version. */
  register(definition: TaskDefinition, options: { replace?: boolean } = {}): void {
    this.registry.register(definition, options);
    if (this.runtime)
      void this.runtime.then((runtime) => this.startWorker(runtime, definition.namespaceName));
  }

  async createTask(request: TaskRequest): Promise<Task> {
    const { initializer } = await this.started();
    if (!this.tracing) return initializer.createTask(request, null);
    return this.tracing.traceCreation((traceContext) => initializer.createTask(request, traceContext));
  }

  /** The task with its steps, or `undefined` when there is no such task. */
  async getTask(taskId: number): Promise<Task | undefined> {
    const { pool } = await this.started();
    const [task, steps] = await Promise.all([findTask(pool, taskId), findSteps(pool, [taskId])]);
    return task ? toTask(task, steps) : undefined;
  }

  /** Adds an observer of every step attempt this engine's workers run (metrics, tracing). */
  observeAttempts(observer: StepAttemptObserver): void {
    this.attemptObservers.push(observer);
  }

  /** Several tasks with their steps in two queries (missing ids are simply absent). */
  async getTasks(taskIds: readonly number[]): Promise<Task[]> {
    const { pool } = await this.started();
    const [tasks, steps] = await Promise.all([findTasksByIds(pool, taskIds), findSteps(pool, taskIds)]);
    return tasks.map((task) =>
      toTask(
        task,
        steps.filter((step) => step.taskId === task.taskId),
      ),
    );
  }

  /** Cancels the task, its unfinished steps and their jobs; running handlers see `ctx.signal` abort. */
  async cancelTask(taskId: number): Promise<Task> {
    const { control } = await this.started();
    await control.cancelTask(taskId);
    return this.requireTask(taskId);
  }

  /** Takes a task in `error` back to running; failed steps get a fresh set of attempts. */
  async retryTask(taskId: number): Promise<Task> {
    const { control } = await this.started();
    await control.retryTask(taskId);
    return this.requireTask(taskId);
  }

  /** Resolves a pending or failed step by hand (with optional results); its dependants can then run. */
  async resolveStep(taskId: number, stepId: number, results?: JsonValue): Promise<Task> {
    assertStorable(results, 'step results', '/results');
    const { control } = await this.started();
    await control.resolveStep(taskId, stepId, results);
    return this.requireTask(taskId);
  }

  /** Cancels one pending or running step and its job; a running handler sees its signal abort. */
  async cancelStep(taskId: number, stepId: number): Promise<Task> {
    const { control } = await this.started();
    await control.cancelStep(taskId, stepId);
    return this.requireTask(taskId);
  }

  /** Changes a task's `reason` and/or `tags`. */
  async updateTask(taskId: number, changes: TaskChanges): Promise<Task> {
    const { control } = await this.started();
    await control.updateTask(taskId, validateTaskChanges(changes));
    return this.requireTask(taskId);
  }

  /** Changes a step's `retryLimit` and/or `inputs`; raising the limit of an exhausted step retries it. */
  async updateStep(taskId: number, stepId: number, changes: StepChanges): Promise<Task> {
    const { control } = await this.started();
    await control.updateStep(taskId, stepId, validateStepChanges(changes));
    return this.requireTask(taskId);
  }

  /** Tasks matching the filter, with their steps (two queries however many tasks), and the total count. */
  async listTasks(filter: TaskListQuery = {}): Promise<TaskList> {
    const { pool } = await this.started();
    const query = normalizeTaskListQuery(filter);
    const { rows, total } = await findTasks(pool, query);
    const steps = await findSteps(
      pool,
      rows.map((row) => row.taskId),
    );
    return {
      tasks: rows.map((row) =>
        toTask(
          row,
          steps.filter((step) => step.taskId === row.taskId),
        ),
      ),
      total,
      limit: query.limit,
      offset: query.offset,
    };
  }

  /** Whether the database answers within `timeoutMs`, and how fast. */
  async checkDatabase(timeoutMs = 5_000): Promise<DatabaseCheck> {
    const { pool } = await this.started();
    return pingDatabase(pool, timeoutMs);
  }

  /** Task and step counts by state, retry health and connection use (`get_system_health_counts_v01`). */
  async healthCounts(): Promise<SystemHealthCounts> {
    const { pool } = await this.started();
    return systemHealthCounts(pool);
  }

  /** System figures since `since` (`get_analytics_metrics_v01`): rates in percent, durations in seconds. */
  async analyticsPerformance(since: Date): Promise<AnalyticsMetrics> {
    const { pool } = await this.started();
    return analyticsMetrics(pool, validSince(since));
  }

  /**
   * The trend figures of `analyticsPerformance` (throughput, rates, durations) for windows of each
   * of `hours` (whole hours) before `asOf`, computed in one pass; ordered by window length.
   */
  async analyticsTrends(hours: readonly number[], asOf: Date = new Date()): Promise<AnalyticsTrend[]> {
    const { pool } = await this.started();
    if (!hours.every((h) => Number.isInteger(h) && h > 0)) {
      throw new RangeError('analyticsTrends: hours must be positive integers');
    }
    return analyticsTrends(pool, validSince(asOf), hours);
  }

  /** The slowest finished tasks and completed steps created since `filter.since`, longest first. */
  async bottlenecks(
    filter: BottleneckFilter,
  ): Promise<{ slowestTasks: SlowTask[]; slowestSteps: SlowStep[] }> {
    const { pool } = await this.started();
    const slowest = normalizeBottleneckFilter(filter);
    await this.rollUpStepAttempts(pool);
    const [tasks, steps] = await Promise.all([slowestTasks(pool, slowest), slowestSteps(pool, slowest)]);
    return { slowestTasks: tasks, slowestSteps: steps };
  }

  /** Task duration, step run time and step queue wait distributions (seconds) since `since`. */
  async durationPercentiles(since: Date, scope: AnalyticsScope = {}): Promise<DurationPercentiles> {
    const { pool } = await this.started();
    const { namespace, name, version } = normalizeBottleneckFilter({ since, ...scope });
    await this.rollUpStepAttempts(pool);
    return durationPercentiles(pool, validSince(since), { namespace, name, version });
  }

  /**
   * Everything `bottlenecks` returns plus the window's duration distributions, retry hot spots,
   * error classes, and the steps now waiting on their dependencies. The queries run side by side.
   */
  async bottleneckAnalysis(filter: BottleneckFilter): Promise<BottleneckAnalysis> {
    const { pool } = await this.started();
    const query = normalizeBottleneckFilter(filter);
    const scope = { namespace: query.namespace, name: query.name, version: query.version };
    await this.rollUpStepAttempts(pool);
    // The window's step attempts are built once for the durations, hot spots and error classes.
    const [tasks, steps, report, blocked] = await Promise.all([
      slowestTasks(pool, query),
      slowestSteps(pool, query),
      bottleneckReport(pool, query),
      blockedSteps(pool, query.limit, scope),
    ]);
    const { hotspots, errorClasses: classes, durations } = report;
    return {
      slowestTasks: tasks,
      slowestSteps: steps,
      hotspots,
      errorClasses: classes,
      blockedSteps: blocked,
      durations,
    };
  }

  /** Tasks with an annotation of the given type whose `key` equals `value` (as text), newest request first. */
  async tasksByAnnotation(query: AnnotationQuery): Promise<Task[]> {
    const { pool } = await this.started();
    const ids = await findTaskIdsByAnnotation(pool, normalizeAnnotationQuery(query));
    const tasks = await this.getTasks(ids);
    return ids.flatMap((id) => tasks.find((task) => task.taskId === id) ?? []);
  }

  /** Every annotation type, by name. */
  async annotationTypes(): Promise<AnnotationTypeRecord[]> {
    const { pool } = await this.started();
    return findAnnotationTypes(pool);
  }

  /** The annotations of several tasks (with their types) in one query. */
  async taskAnnotations(taskIds: readonly number[]): Promise<TaskAnnotationRecord[]> {
    const { pool } = await this.started();
    return findAnnotationsOfTasks(pool, taskIds);
  }

  /** The named task (definition row) of each of several tasks, in one query. */
  async namedTasksOf(taskIds: readonly number[]): Promise<NamedTaskOfTask[]> {
    const { pool } = await this.started();
    return findNamedTasksOfTasks(pool, taskIds);
  }

  /** Named steps by id, each with its dependent system, in one query. */
  async namedSteps(namedStepIds: readonly number[]): Promise<NamedStepRecord[]> {
    const { pool } = await this.started();
    return findNamedSteps(pool, namedStepIds);
  }

  /** The state changes of several tasks (their audit trail), oldest first, in one query. */
  async taskTransitions(taskIds: readonly number[]): Promise<TaskTransitionRecord[]> {
    const { pool } = await this.started();
    return findTaskTransitions(pool, taskIds);
  }

  /** The state changes of several steps, oldest first, in one query. */
  async stepTransitions(stepIds: readonly number[]): Promise<StepTransitionRecord[]> {
    const { pool } = await this.started();
    return findStepTransitions(pool, stepIds);
  }

  /**
   * Every committed task and step state change, from every process using this database (delivered
   * through PostgreSQL LISTEN/NOTIFY, in each process's commit order). `onGap` is called when the
   * database connection was lost and events may have been missed. Returns the unsubscribe function.
   */
  async onTransition(listener: TransitionListener, onGap?: () => void): Promise<() => void> {
    const { signals } = await this.started();
    await signals.listen();
    this.transitionListeners.set(listener, onGap);
    return () => {
      this.transitionListeners.delete(listener);
    };
  }

  /** NOTIFY is fire-and-forget: after the listener reconnects, subscribers may have missed events. */
  /**
   * Keeps the step-attempt roll-up current before the attempt analytics read it; one refresh at a time per
   * engine, and none when the last began less than ATTEMPT_ROLLUP_INTERVAL_MS ago (the analytics compute the
   * attempts after the roll-up's watermark themselves, so answers are exact either way).
   */
  private rollUpStepAttempts(pool: Queryable): Promise<unknown> {
    const last = this.attemptRollup;
    if (last && Date.now() - last.startedAt < ATTEMPT_ROLLUP_INTERVAL_MS) return last.done;
    const done = refreshStepAttemptFacts(pool);
    this.attemptRollup = { startedAt: Date.now(), done };
    done.catch(() => {
      if (this.attemptRollup?.done === done) this.attemptRollup = undefined;
    });
    return done;
  }

  private reportTransitionGap(): void {
    for (const onGap of [...this.transitionListeners.values()]) onGap?.();
  }

  private deliverTransitions(events: readonly TransitionEvent[]): void {
    for (const event of events) {
      for (const listener of [...this.transitionListeners.keys()]) {
        try {
          listener(event);
        } catch (error) {
          this.logger.error({ err: error, event: event.event }, 'A transition listener failed');
        }
      }
    }
  }

  private trace(options: TracingOptions = {}): TaskerTracing {
    const tracing = new TaskerTracing(options);
    tracing.listen(
      this.events,
      async (taskId) => findTaskTrace((await this.started()).pool, taskId),
      (error) => this.logger.warn({ err: error }, 'Could not record the span of a finished task'),
    );
    this.observeAttempts(tracing.attemptObserver);
    return tracing;
  }

  private instrument(options: MetricsOptions = {}): TaskerMetrics {
    const metrics = new TaskerMetrics({
      registry: options.registry,
      queueDepth: () => this.queuedStepJobs(),
      onCollectError: (error) =>
        this.logger.warn({ err: error }, 'Could not read the queue depth for metrics'),
    });
    metrics.listen(this.events);
    this.observeAttempts(metrics.attemptObserver);
    return metrics;
  }

  /** Waiting step jobs per namespace of the registered definitions; none before start (a scrape never starts the engine). */
  private async queuedStepJobs(): Promise<Map<string, number>> {
    const runtime = this.runtime && !this.closing ? await this.runtime : undefined;
    if (!runtime) return new Map();
    const namespaces = this.registry.namespaces().map((namespace) => namespace.name);
    const counts = await queuedJobCounts(runtime.pool, this.queueSchema, namespaces.map(queueNameFor));
    return new Map(namespaces.map((namespace) => [namespace, counts.get(queueNameFor(namespace)) ?? 0]));
  }

  private get queueSchema(): string {
    return this.options.queueSchema ?? 'tasker_pgboss';
  }

  /** Resolves with the task once it is complete, error, cancelled or resolved manually. */
  async runUntilSettled(taskId: number, { timeoutMs = 30_000 }: RunUntilSettledOptions = {}): Promise<Task> {
    const { pool } = await this.started();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const task = await findTask(pool, taskId);
      if (!task) throw new Error(`Task ${taskId} not found`);
      if (TERMINAL_TASK_STATES.includes(task.status as TaskState)) return this.requireTask(taskId);
      if (Date.now() > deadline) {
        throw new Error(`Task ${taskId} did not settle within ${timeoutMs} ms (status ${task.status})`);
      }
      await this.untilTaskEventOr(taskId, SETTLE_POLL_MS);
    }
  }

  /** Stops claiming steps, lets running ones finish (up to `shutdownTimeoutMs`), then disconnects. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const runtime = await this.runtime?.catch(() => undefined);
    if (!runtime) return;
    const deadline = Date.now() + (this.options.shutdownTimeoutMs ?? 30_000);
    const stillRunning = await Promise.all([...this.workers.values()].map((worker) => worker.stop(deadline)));
    const abandoned = stillRunning.reduce((sum, n) => sum + n, 0);
    if (abandoned > 0) {
      this.logger.warn(
        { steps: abandoned },
        'Shut down with steps still running; they will be retried elsewhere',
      );
    }
    await runtime.maintenance?.stop();
    await runtime.signals.stop();
    await runtime.queue.stop();
    await runtime.pool.end();
    await runtime.embedded?.stop();
  }

  private async requireTask(taskId: number): Promise<Task> {
    const task = await this.getTask(taskId);
    if (!task) throw new NotFoundError(`Task ${taskId} not found`);
    return task;
  }

  private untilTaskEventOr(taskId: number, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const unsubscribe = this.bus.subscribe('task.*', (event) => {
        if (event.payload.task_id === taskId) done();
      });
      function done() {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }

  private started(): Promise<Runtime> {
    if (this.closing) return Promise.reject(new Error('The Tasker engine is closed'));
    this.runtime ??= this.start();
    return this.runtime;
  }

  private async start(): Promise<Runtime> {
    this.loadTaskDirectory();
    const configuredUrl = this.options.databaseUrl ?? process.env.DATABASE_URL;
    const embedded = configuredUrl
      ? undefined
      : await startEmbeddedDatabase({ dataDirectory: this.options.dataDirectory });
    if (embedded)
      this.logger.info({ url: embedded.url }, 'Using the embedded PostgreSQL (DATABASE_URL is not set)');
    const connectionString = configuredUrl ?? (embedded as EmbeddedDatabase).url;
    const pool = createPool({ connectionString, max: this.options.poolSize });
    pool.on('error', (error) => this.logger.error({ err: error }, 'Idle database connection failed'));
    try {
      return await this.assemble(pool, connectionString, embedded);
    } catch (error) {
      await pool.end();
      await embedded?.stop();
      throw error;
    }
  }

  private async assemble(
    pool: pg.Pool,
    connectionString: string,
    embedded: EmbeddedDatabase | undefined,
  ): Promise<Runtime> {
    if (this.options.migrate !== false) {
      const applied = await migrateUp(pool);
      if (applied.length > 0) this.logger.info({ applied }, 'Applied database migrations');
    }
    const workers = this.workerOptions;
    const queue = new StepQueue({
      connectionString,
      schema: this.queueSchema,
      heartbeatSeconds: workers ? workers.heartbeatSeconds : 30,
      recoveryCheckSeconds: workers ? workers.recoveryCheckSeconds : 10,
      supervise: workers !== false,
      poolSize: Math.max(2, Math.ceil((this.options.poolSize ?? 10) / 2)),
      logger: this.logger,
    });
    await queue.start();
    const onAfterCommitError = (error: unknown) =>
      this.logger.error({ err: error }, 'An after-commit callback failed');
    const signals = new Signals(
      pool,
      connectionString,
      {
        wake: (namespace) => this.workers.get(namespace)?.wake(),
        cancel: (target) => this.running.abort(target),
        transitions: (events) => this.deliverTransitions(events),
        reconnected: () => {
          this.workers.forEach((worker) => worker.wake());
          this.reportTransitionGap();
        },
      },
      this.logger,
    );
    this.signals = signals;
    queue.onEnqueued((namespace) => {
      const local = this.workers.get(namespace);
      local?.wake();
      if (!local?.hasCapacity()) signals.announce(namespace);
    });
    const reconciler = new TaskReconciler(queue, this.transitions, this.bus);
    const runtime: Runtime = {
      pool,
      embedded,
      queue,
      signals,
      initializer: new TaskInitializer({
        pool,
        registry: this.registry,
        definitions: new DefinitionStore(pool),
        contextValidator: new ContextValidator(),
        transitions: this.transitions,
        reconciler,
        queue,
        identityStrategy: this.options.identityStrategy ?? 'default',
        bus: this.bus,
        onAfterCommitError,
      }),
      control: new TaskControl({
        pool,
        queue,
        transitions: this.transitions,
        reconciler,
        onCancelled: (target) => {
          this.running.abort(target);
          signals
            .broadcastCancel(target)
            .catch((error: unknown) =>
              this.logger.warn(
                { err: error, ...target },
                'Could not tell other processes about a cancellation',
              ),
            );
        },
        onAfterCommitError,
      }),
      executor: new StepExecutor({
        pool,
        queue,
        transitions: this.transitions,
        reconciler,
        registry: this.registry,
        stepHandlers: this.options.stepHandlers ?? {},
        backoff: this.backoff,
        bus: this.bus,
        running: this.running,
        eagerDispatch: workers !== false && workers.eagerDispatch,
        observers: this.attemptObservers,
        logger: this.logger,
        onAfterCommitError,
      }),
      maintenance: workers ? this.vacuumMaintenance(pool) : undefined,
    };
    if (workers) {
      await runtime.maintenance?.start();
      await signals.listen();
      const namespaces = workers.namespaces ?? this.registry.namespaces().map((n) => n.name);
      for (const namespace of namespaces) await this.startWorker(runtime, namespace);
    }
    return runtime;
  }

  private vacuumMaintenance(pool: pg.Pool): VacuumMaintenance | undefined {
    const settings = this.options.maintenance;
    if (settings === false) return undefined;
    return new VacuumMaintenance(pool, {
      intervalSeconds: Math.max(1, settings?.vacuumIntervalSeconds ?? 60),
      queueSchema: this.queueSchema,
      logger: this.logger,
    });
  }

  private async startWorker(runtime: Runtime, namespace: string): Promise<void> {
    const options = this.workerOptions;
    if (!options || this.closing || this.workers.has(namespace)) return;
    if (options.namespaces && !options.namespaces.includes(namespace)) return;
    await runtime.queue.ensureQueue(namespace);
    const worker = new NamespaceWorker(
      namespace,
      runtime.queue,
      (job, slot) => runtime.executor.execute(namespace, job, slot),
      options,
      this.logger,
    );
    this.workers.set(namespace, worker);
    worker.start();
  }

  private loadTaskDirectory(): void {
    const directory = this.options.taskDirectory ?? DEFAULT_TASK_DIRECTORY;
    const explicit = this.options.taskDirectory !== undefined;
    if (!explicit && !fs.existsSync(directory)) return;
    for (const definition of loadTaskDefinitionDirectory(directory)) this.registry.register(definition);
  }
}

/** Creates an engine without any I/O; `ready()` (or the first call that needs the database) starts it. */
export function createEngine(options: TaskerOptions = {}): TaskerEngine {
  return new TaskerEngine(options);
}

function toStep(row: StepRow, context: JsonObject): WorkflowStep {
  return {
    ...row,
    status: row.status as StepState,
    inputs: (row.inputs as JsonObject | null) ?? context,
    results: (row.results as JsonValue | null) ?? null,
  };
}

function toTask(row: TaskRow, steps: StepRow[]): Task {
  const context = row.context as JsonObject;
  return {
    ...row,
    status: row.status as TaskState,
    fullName: `${row.namespace}.${row.name}@${row.version}`,
    initiator: row.initiator ?? 'unknown',
    sourceSystem: row.sourceSystem ?? 'unknown',
    reason: row.reason ?? 'unknown',
    context,
    steps: steps.map((step) => toStep(step, context)),
  };
}
