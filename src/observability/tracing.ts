import fs from 'node:fs';
import path from 'node:path';
import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { PACKAGE_ROOT } from '../db/migrator';
import { ConfigurationError } from '../errors';
import type { TaskerEvent } from '../events/event-bus';
import type { Task, TaskerEvents } from '../interfaces';
import type { StepAttempt, StepAttemptObserver, StepAttemptResult } from '../orchestration/attempt-observer';
import { contextFromCarrier, toCarrier, type TraceCarrier } from './trace-context';

/** `tracing` option: `{ tracerProvider }` to trace on a provider of your own, or `false` for no spans. */
export interface TracingOptions {
  /** Default: the global provider (`trace.getTracerProvider()`), a no-op until an SDK registers one. */
  tracerProvider?: TracerProvider;
}

/** What the task-level span needs from the database: the task's stored trace and its creation time. */
export type TaskTraceLookup = (
  taskId: number,
) => Promise<{ traceContext: TraceCarrier | null; createdAt: Date } | undefined>;

const TRACER_NAME = 'tasker';
const ATTRIBUTE_PREFIX = 'tasker.';

/** The task events that close the task-level span, and the status each gives. */
const TERMINAL_TASK_STATUS: Readonly<Record<string, SpanStatusCode>> = {
  'task.completed': SpanStatusCode.OK,
  'task.failed': SpanStatusCode.ERROR,
};

/** Checks the `tracing` option once, at the engine's boundary. */
export function validateTracingOption(option: unknown): void {
  if (option === undefined || option === false) return;
  const provider = (option as TracingOptions | null)?.tracerProvider;
  const valid =
    typeof option === 'object' &&
    option !== null &&
    (provider === undefined || typeof (provider as { getTracer?: unknown }).getTracer === 'function');
  if (!valid)
    throw new ConfigurationError('`tracing` must be `{ tracerProvider?: TracerProvider }` or false');
}

function packageVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Attribute keys prefixed `tasker.` as in the Rails engine; absent values are left out. */
function attributes(values: Record<string, string | number | null | undefined>): Attributes {
  const prefixed: Attributes = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== null && value !== undefined) prefixed[ATTRIBUTE_PREFIX + key] = value;
  }
  return prefixed;
}

function taskAttributes(task: Pick<Task, 'taskId' | 'name' | 'namespace' | 'version'>): Attributes {
  return attributes({
    task_id: task.taskId,
    task_name: task.name,
    namespace: task.namespace,
    version: task.version,
  });
}

function recordFailure(span: Span, error: unknown): void {
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
}

/**
 * One engine's OpenTelemetry spans. A task's trace starts at creation (`tasker.task.initialize`,
 * a child of the caller's active span) and its context is stored with the task; every step attempt,
 * in whichever process claims it, runs in an active `tasker.step.execution` span whose parent is
 * that stored context. Without an SDK the tracer is the API's no-op one and nothing is stored.
 */
export class TaskerTracing {
  private readonly tracer: Tracer;
  /** The span of each attempt between `run` and `finished`. */
  private readonly attemptSpans = new WeakMap<StepAttempt, Span>();

  /** Runs each step attempt's handler inside its `tasker.step.execution` span. */
  readonly attemptObserver: StepAttemptObserver = {
    run: (attempt, execute) => this.runAttempt(attempt, execute),
    finished: (attempt, result) => this.endAttempt(attempt, result),
  };

  private readonly provider: TracerProvider;

  constructor(options: TracingOptions = {}) {
    this.provider = options.tracerProvider ?? trace.getTracerProvider();
    this.tracer = this.provider.getTracer(TRACER_NAME, packageVersion());
  }

  /**
   * False while the global provider is still the API's no-op proxy (no SDK registered yet), so the
   * per-task lookup behind `tasker.task.execution` costs nothing then. Checked per event because an
   * SDK may register after the engine starts.
   */
  private providerRegistered(): boolean {
    const proxy = this.provider as { getDelegateTracer?: (name: string) => unknown };
    return (
      typeof proxy.getDelegateTracer !== 'function' || proxy.getDelegateTracer(TRACER_NAME) !== undefined
    );
  }

  /**
   * Creates a task inside span `tasker.task.initialize`; `create` receives that span's context, to
   * store with the task. The span ends once the task is committed (or creation failed).
   */
  async traceCreation(create: (traceContext: TraceCarrier | null) => Promise<Task>): Promise<Task> {
    const span = this.tracer.startSpan('tasker.task.initialize', { kind: SpanKind.INTERNAL });
    try {
      const task = await create(toCarrier(span.spanContext()));
      span.setAttributes(taskAttributes(task));
      return task;
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * Records `tasker.task.execution` (task creation to terminal state, OK or ERROR) when a task
   * completes or fails in this process. Spans cannot stay open across processes, so this span is
   * written after the fact, as a child of the task's stored context.
   */
  listen(events: TaskerEvents, lookup: TaskTraceLookup, onError: (error: unknown) => void): () => void {
    const unsubscribers = Object.keys(TERMINAL_TASK_STATUS).map((name) =>
      events.subscribe(name, (event) => {
        this.recordTaskExecution(event, lookup).catch(onError);
      }),
    );
    return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
  }

  private async recordTaskExecution({ name, payload }: TaskerEvent, lookup: TaskTraceLookup): Promise<void> {
    if (!this.providerRegistered()) return;
    const taskId = Number(payload.task_id);
    const stored = await lookup(taskId);
    if (!stored?.traceContext) return;
    const endTime =
      typeof payload.transitioned_at === 'string' ? new Date(payload.transitioned_at) : new Date();
    const span = this.tracer.startSpan(
      'tasker.task.execution',
      {
        kind: SpanKind.INTERNAL,
        startTime: stored.createdAt,
        attributes: taskAttributes({
          taskId,
          name: String(payload.task_name),
          namespace: String(payload.namespace),
          version: String(payload.version),
        }),
      },
      contextFromCarrier(stored.traceContext),
    );
    span.setStatus({ code: TERMINAL_TASK_STATUS[name] });
    span.end(endTime);
  }

  private runAttempt<T>(attempt: StepAttempt, execute: () => Promise<T>): Promise<T> {
    const parent = contextFromCarrier(attempt.traceContext);
    const span = this.tracer.startSpan(
      'tasker.step.execution',
      {
        kind: SpanKind.INTERNAL,
        startTime: attempt.claimedAt,
        attributes: attributes({
          task_id: attempt.taskId,
          step_id: attempt.stepId,
          step_name: attempt.stepName,
          task_name: attempt.taskName,
          namespace: attempt.namespace,
          version: attempt.version,
          attempt_number: attempt.attempt,
        }),
      },
      parent,
    );
    this.attemptSpans.set(attempt, span);
    return context.with(trace.setSpan(parent, span), execute);
  }

  private endAttempt(attempt: StepAttempt, result: StepAttemptResult): void {
    const span = this.attemptSpans.get(attempt);
    if (!span) return;
    this.attemptSpans.delete(attempt);
    span.setAttributes(attributes({ execution_duration: result.durationSeconds }));
    if (result.outcome === 'failure') {
      span.setAttributes(attributes({ error: result.errorMessage, exception_class: result.errorClass }));
      span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorMessage ?? undefined });
    } else {
      span.setStatus({ code: SpanStatusCode.OK });
    }
    span.end();
  }
}
