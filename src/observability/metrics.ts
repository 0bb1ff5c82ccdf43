import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConfigurationError } from '../errors';
import type { TaskerEvent } from '../events/event-bus';
import type { TaskerEvents } from '../interfaces';
import type { StepAttempt, StepAttemptObserver } from '../orchestration/attempt-observer';

/** `metrics` option: `{ registry }` to register on your own prom-client registry, or `false` for none. */
export interface MetricsOptions {
  /** Default: a registry of the engine's own, with prom-client's default process metrics. */
  registry?: Registry;
}

/** Step run and queue-wait buckets, in seconds: 5 ms to 5 min. */
export const STEP_SECONDS_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

/** The task events that mean a task reached a terminal state, and the `status` label each gives. */
const TERMINAL_TASK_EVENTS: Readonly<Record<string, string>> = {
  'task.completed': 'complete',
  'task.failed': 'error',
  'task.cancelled': 'cancelled',
};

export interface TaskerMetricsOptions extends MetricsOptions {
  /** Waiting step jobs per namespace, read at each scrape. */
  queueDepth?: () => Promise<ReadonlyMap<string, number>>;
  /** Told when the queue depth could not be read (the scrape still answers, with the last values). */
  onCollectError?: (error: unknown) => void;
}

/** Checks the `metrics` option once, at the engine's boundary. */
export function validateMetricsOption(option: unknown): void {
  if (option === undefined || option === false) return;
  const registry = (option as MetricsOptions | null)?.registry;
  const valid =
    typeof option === 'object' &&
    option !== null &&
    (registry === undefined ||
      typeof (registry as { registerMetric?: unknown }).registerMetric === 'function');
  if (!valid)
    throw new ConfigurationError('`metrics` must be `{ registry?: prom-client Registry }` or false');
}

/**
 * The same metric object when a shared registry already holds one of that name (two engines given
 * the same registry report into the same series), else a new one registered there.
 */
function registered<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

function label(value: unknown): string {
  return typeof value === 'string' ? value : String(value ?? '');
}

/**
 * One engine's Prometheus metrics. Labels are definition names (namespace, task, version, step) and
 * outcomes, never ids, so the number of series stays bounded by the registered definitions.
 */
export class TaskerMetrics {
  readonly registry: Registry;
  private readonly tasks: Counter<'namespace' | 'name' | 'version' | 'status'>;
  private readonly attempts: Counter<'namespace' | 'task' | 'step' | 'outcome'>;
  private readonly retries: Counter<'namespace' | 'task' | 'step'>;
  private readonly stepDuration: Histogram<'namespace' | 'task' | 'step' | 'outcome'>;
  private readonly queueWait: Histogram<'namespace' | 'task'>;
  private readonly inFlight: Gauge<'namespace'>;

  /** Feeds `started`/`finished` of every step attempt this engine runs into the step metrics. */
  readonly attemptObserver: StepAttemptObserver = {
    started: (attempt) => this.attemptStarted(attempt),
    finished: (attempt, result) => {
      const labels = { namespace: attempt.namespace, task: attempt.taskName, step: attempt.stepName };
      this.inFlight.dec({ namespace: attempt.namespace });
      this.attempts.inc({ ...labels, outcome: result.outcome });
      this.stepDuration.observe({ ...labels, outcome: result.outcome }, result.durationSeconds);
    },
  };

  constructor(options: TaskerMetricsOptions = {}) {
    const registry = options.registry ?? new Registry();
    // Default process metrics only on a registry we own: a user's registry may already have them.
    if (!options.registry) collectDefaultMetrics({ register: registry });
    this.registry = registry;
    const registers = [registry];
    this.tasks = registered(
      registry,
      'tasker_tasks_total',
      () =>
        new Counter({
          name: 'tasker_tasks_total',
          help: 'Tasks that reached a terminal state (complete, error or cancelled)',
          labelNames: ['namespace', 'name', 'version', 'status'],
          registers,
        }),
    );
    this.attempts = registered(
      registry,
      'tasker_step_attempts_total',
      () =>
        new Counter({
          name: 'tasker_step_attempts_total',
          help: 'Step attempts run by this process, by outcome (success or failure)',
          labelNames: ['namespace', 'task', 'step', 'outcome'],
          registers,
        }),
    );
    this.retries = registered(
      registry,
      'tasker_step_retries_total',
      () =>
        new Counter({
          name: 'tasker_step_retries_total',
          help: 'Failed steps sent back to run again (error → pending)',
          labelNames: ['namespace', 'task', 'step'],
          registers,
        }),
    );
    this.stepDuration = registered(
      registry,
      'tasker_step_duration_seconds',
      () =>
        new Histogram({
          name: 'tasker_step_duration_seconds',
          help: 'Step attempt run time, from claim to recorded outcome',
          labelNames: ['namespace', 'task', 'step', 'outcome'],
          buckets: STEP_SECONDS_BUCKETS,
          registers,
        }),
    );
    this.queueWait = registered(
      registry,
      'tasker_step_queue_wait_seconds',
      () =>
        new Histogram({
          name: 'tasker_step_queue_wait_seconds',
          help: 'Time a step job waited between becoming due and being claimed',
          labelNames: ['namespace', 'task'],
          buckets: STEP_SECONDS_BUCKETS,
          registers,
        }),
    );
    this.inFlight = registered(
      registry,
      'tasker_steps_in_flight',
      () =>
        new Gauge({
          name: 'tasker_steps_in_flight',
          help: 'Step attempts running in this process',
          labelNames: ['namespace'],
          registers,
        }),
    );
    this.registerQueueDepth(options);
  }

  /** Counts terminal task transitions and step retries from the engine's lifecycle events. */
  listen(events: Pick<TaskerEvents, 'subscribe'>): () => void {
    const unsubscribers = [
      ...Object.keys(TERMINAL_TASK_EVENTS).map((name) =>
        events.subscribe(name, (event) => this.taskSettled(event)),
      ),
      events.subscribe('step.retry_requested', (event) => this.stepRetried(event)),
    ];
    return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
  }

  private taskSettled({ name, payload }: TaskerEvent): void {
    this.tasks.inc({
      namespace: label(payload.namespace),
      name: label(payload.task_name),
      version: label(payload.version),
      status: TERMINAL_TASK_EVENTS[name],
    });
  }

  private stepRetried({ payload }: TaskerEvent): void {
    this.retries.inc({
      namespace: label(payload.namespace),
      task: label(payload.task_name),
      step: label(payload.step_name),
    });
  }

  private attemptStarted(attempt: StepAttempt): void {
    this.inFlight.inc({ namespace: attempt.namespace });
    if (attempt.dueAt) {
      const waited = (attempt.claimedAt.getTime() - attempt.dueAt.getTime()) / 1000;
      this.queueWait.observe({ namespace: attempt.namespace, task: attempt.taskName }, Math.max(0, waited));
    }
  }

  /**
   * `tasker_queue_depth` is read from the database at scrape time. On a registry shared by several
   * engines, the first engine to register it answers for all (they normally share one database).
   */
  private registerQueueDepth({ queueDepth, onCollectError }: TaskerMetricsOptions): void {
    if (!queueDepth || this.registry.getSingleMetric('tasker_queue_depth')) return;
    new Gauge({
      name: 'tasker_queue_depth',
      help: 'Step jobs waiting in the queue (created or retry), per namespace',
      labelNames: ['namespace'],
      registers: [this.registry],
      async collect() {
        let depths: ReadonlyMap<string, number>;
        try {
          depths = await queueDepth();
        } catch (error) {
          onCollectError?.(error);
          return;
        }
        this.reset();
        for (const [namespace, queued] of depths) this.set({ namespace }, queued);
      },
    });
  }
}
