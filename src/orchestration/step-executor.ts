import type pg from 'pg';
import {
  ancestorResults,
  claimStep,
  markStepStarted,
  recordAbandonedAttempt,
  recordStepFailure,
  setStepsInProcess,
  type ExecutionStepRow,
} from '../db/queries/execution';
import { withRetriedTransaction, type Transaction } from '../db/transaction';
import { IllegalTransitionError } from '../errors';
import { CustomEventCollector, declaredEventNames, type CustomEvent } from '../events/custom-events';
import type { EventBus } from '../events/event-bus';
import { publishAfterCommit } from '../events/system-events';
import { resolveStepHandler, toStoredResults } from '../handlers/invoke-handler';
import { classifyStepError, StepTimeoutError, type StepFailure } from '../handlers/step-errors';
import type { StepContext, StepHandlerMap } from '../handlers/step-handler';
import type { Logger } from '../interfaces';
import type { StepJob, StepQueue } from '../queue/step-queue';
import type { TaskRegistry } from '../registry/task-registry';
import type { JsonObject, JsonValue, StepTemplate, TaskDefinition } from '../registry/types';
import type { TransitionService } from '../state/transition-service';
import { retryDelay, type BackoffOptions } from './backoff';
import type { StepAttempt, StepAttemptObserver } from './attempt-observer';
import type { RunningSteps } from './running-steps';
import type { ClaimedStep } from './claimed-step';
import { StepStarter } from './step-starter';
import { SuccessRecorder, type HandedOffStep } from './success-recorder';
import type { StepSlot } from './namespace-worker';
import type { TaskReconciler } from './task-reconciler';

type Outcome = ({ ok: true; results: JsonValue | null } | { ok: false; failure: StepFailure }) & {
  /** Custom events the handler published; delivered once the outcome commits. */
  events: readonly CustomEvent[];
};

export interface StepExecutorDependencies {
  pool: pg.Pool;
  queue: StepQueue;
  transitions: TransitionService;
  reconciler: TaskReconciler;
  registry: TaskRegistry;
  stepHandlers: StepHandlerMap;
  backoff: BackoffOptions;
  bus: EventBus;
  running: RunningSteps;
  /** Whether a success that makes steps ready runs the first of them next in its slot. */
  eagerDispatch: boolean;
  /** Metrics, tracing: told about every attempt this process runs. */
  observers: readonly StepAttemptObserver[];
  logger: Logger;
  onAfterCommitError: (error: unknown) => void;
}

const SETTLED_STEP_STATES: readonly string[] = ['complete', 'cancelled', 'resolved_manually'];
const TASK_STATES_THAT_RUN_STEPS: readonly string[] = ['pending', 'in_progress'];
const ABANDONED_ATTEMPT_MESSAGE =
  'The worker running this attempt stopped (crashed, killed or lost its connection)';

/**
 * Runs one step job: claim it (one transaction), run the handler, record the outcome (a second
 * transaction that also completes the job, so a lapsed claim can never record a result twice).
 */
export class StepExecutor {
  private readonly starter: StepStarter;
  private readonly successes: SuccessRecorder;

  constructor(private readonly deps: StepExecutorDependencies) {
    this.starter = new StepStarter(deps);
    this.successes = new SuccessRecorder(deps);
  }

  /**
   * Claims and runs the job, then each step a success hands back to the same slot (eager dispatch)
   * until a step hands nothing back.
   */
  async execute(namespace: string, job: StepJob, slot?: StepSlot): Promise<void> {
    let claimedAt = new Date();
    let current = job;
    let claimed: ClaimedStep | null =
      (await this.starter.start(job)) ?? (await this.transaction((tx) => this.claim(tx, namespace, job)));
    while (claimed) {
      const next = await this.runAttempt(namespace, current, claimed, claimedAt, slot);
      if (!next) return;
      slot?.handOff(current, next.job);
      [current, claimed, claimedAt] = [next.job, next.claimed, new Date()];
    }
  }

  /** Runs one claimed attempt and records its outcome; returns the step handed to this slot, if any. */
  private async runAttempt(
    namespace: string,
    job: StepJob,
    claimed: ClaimedStep,
    claimedAt: Date,
    slot: StepSlot | undefined,
  ): Promise<HandedOffStep | undefined> {
    const attempt = this.attemptInfo(job, claimed, claimedAt);
    this.notify((observer) => observer.started?.(attempt));
    const outcome = await this.observedRun(attempt, () => this.runHandler(namespace, claimed));
    let recorded: boolean;
    let next: HandedOffStep | undefined;
    try {
      if (outcome.ok) {
        ({ recorded, next } = await this.successes.record({
          namespace,
          job,
          claimed,
          results: outcome.results,
          events: outcome.events,
          continueInSlot: this.deps.eagerDispatch && slot !== undefined && slot.accepting(),
        }));
      } else {
        recorded = await this.transaction((tx) =>
          this.recordFailureOutcome(tx, namespace, job, claimed, outcome.failure, outcome.events),
        );
      }
    } finally {
      // Even when recording fails: observers pair every `started` with a `finished` (in-flight gauges).
      this.notify((observer) =>
        observer.finished?.(attempt, {
          outcome: outcome.ok ? 'success' : 'failure',
          durationSeconds: (Date.now() - claimedAt.getTime()) / 1000,
          errorClass: outcome.ok ? null : outcome.failure.errorClass,
          errorMessage: outcome.ok ? null : outcome.failure.message,
        }),
      );
    }
    if (!recorded) {
      this.deps.logger.warn(
        { taskId: claimed.row.taskId, stepId: claimed.row.stepId, jobId: job.id },
        'Discarded the outcome of a step attempt whose job was cancelled or handed to another worker',
      );
    }
    return next;
  }

  private attemptInfo(job: StepJob, claimed: ClaimedStep, claimedAt: Date): StepAttempt {
    const { row } = claimed;
    const due = job.startAfter;
    return {
      taskId: row.taskId,
      stepId: row.stepId,
      namespace: row.namespace,
      taskName: row.taskName,
      version: row.version,
      stepName: row.stepName,
      attempt: claimed.attempt,
      dueAt: due instanceof Date ? due : null,
      claimedAt,
      traceContext: row.traceContext,
    };
  }

  private notify(call: (observer: StepAttemptObserver) => void): void {
    for (const observer of this.deps.observers) {
      try {
        call(observer);
      } catch (error) {
        this.deps.logger.error({ err: error }, 'A step attempt observer failed');
      }
    }
  }

  /** Lets each observer wrap the handler run (outermost first). */
  private observedRun<T>(attempt: StepAttempt, run: () => Promise<T>): Promise<T> {
    return this.deps.observers.reduceRight<() => Promise<T>>(
      (inner, observer) =>
        observer.run
          ? () => (observer.run as NonNullable<StepAttemptObserver['run']>)(attempt, inner)
          : inner,
      run,
    )();
  }

  private transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return withRetriedTransaction(this.deps.pool, work, this.deps.onAfterCommitError);
  }

  /**
   * Moves the step to in_progress, or settles the job when there is nothing (yet) to run. Claims hold
   * the task's row lock only in shared mode, so a task's steps start in parallel.
   */
  private async claim(tx: Transaction, namespace: string, job: StepJob): Promise<ClaimedStep | null> {
    // Job data is JSON written by this engine; coerce anyway so a string id can never slip through.
    const [taskId, stepId] = [Number(job.data.taskId), Number(job.data.stepId)];
    let row = await claimStep(tx, taskId, stepId);
    if (!row || SETTLED_STEP_STATES.includes(row.stepState)) return this.drop(tx, namespace, job);
    if (!TASK_STATES_THAT_RUN_STEPS.includes(row.taskState)) {
      await setStepsInProcess(tx, [stepId], false);
      return this.drop(tx, namespace, job);
    }
    if (row.stepState === 'in_progress') {
      row = await this.recordAbandonedAttempt(tx, row);
    }
    if (row.stepState === 'error') {
      const runnable = await this.prepareRetry(tx, namespace, job, row);
      if (!runnable) return null;
    }
    if (!row.dependenciesSatisfied) {
      // Should not happen (jobs are only created for ready steps); the reconciler re-enqueues it when ready.
      await setStepsInProcess(tx, [stepId], false);
      return this.drop(tx, namespace, job);
    }
    await this.deps.transitions.transitionStep(tx, stepId, 'in_progress', {
      attempt_number: row.attempts + 1,
      job_id: job.id,
    });
    await markStepStarted(tx, stepId);
    if (row.taskState === 'pending') await this.startTask(tx, taskId);
    const ancestors = row.totalParents > 0 ? await ancestorResults(tx, stepId) : [];
    return {
      row,
      attempt: row.attempts + 1,
      ancestors: new Map(ancestors.map((a) => [a.name, (a.results ?? null) as JsonValue])),
    };
  }

  /**
   * Claims of a pending task's first steps run in parallel (shared row lock), so several may try to
   * start the task: the first one does, the others find it already in progress.
   */
  private async startTask(tx: Transaction, taskId: number): Promise<void> {
    try {
      await this.deps.transitions.transitionTask(tx, taskId, 'in_progress');
    } catch (error) {
      if (!(error instanceof IllegalTransitionError && error.fromState === 'in_progress')) throw error;
    }
  }

  /** Settles a job that has nothing to run. */
  private async drop(tx: Transaction, namespace: string, job: StepJob): Promise<null> {
    await this.deps.queue.complete(tx, namespace, job);
    return null;
  }

  /** The previous holder of this job lost it mid-attempt: that attempt counts as failed. */
  private async recordAbandonedAttempt(tx: Transaction, row: ExecutionStepRow): Promise<ExecutionStepRow> {
    const attempts = await recordAbandonedAttempt(tx, row.stepId);
    await this.deps.transitions.transitionStep(tx, row.stepId, 'error', {
      error_message: ABANDONED_ATTEMPT_MESSAGE,
      attempt_number: attempts,
      retry_available: attempts < row.retryLimit && row.retryable,
    });
    if (row.retryable && attempts >= row.retryLimit) {
      this.publishMaxRetriesReached(tx, row, attempts, {
        errorClass: 'AbandonedAttempt',
        message: ABANDONED_ATTEMPT_MESSAGE,
      });
    }
    return {
      ...row,
      stepState: 'error',
      attempts,
      nextRetryAt: null,
      retryDue: true,
      retryEligible: attempts < row.retryLimit,
    };
  }

  /**
   * A job for a failed step: retry now when allowed and due, reschedule when early, or settle the
   * job and let the task fail when no attempt is left.
   */
  private async prepareRetry(
    tx: Transaction,
    namespace: string,
    job: StepJob,
    row: ExecutionStepRow,
  ): Promise<boolean> {
    const mayRetry = row.retryEligible && (row.attempts === 0 || row.retryable);
    if (!mayRetry) {
      await setStepsInProcess(tx, [row.stepId], false);
      await this.deps.queue.complete(tx, namespace, job);
      await this.deps.reconciler.reconcile(tx, row.taskId, namespace);
      return false;
    }
    if (!row.retryDue && row.nextRetryAt) {
      await this.deps.queue.complete(tx, namespace, job);
      await this.deps.queue.enqueue(tx, namespace, [
        { taskId: row.taskId, stepId: row.stepId, startAfter: row.nextRetryAt },
      ]);
      return false;
    }
    await this.deps.transitions.transitionStep(tx, row.stepId, 'pending', {
      retry_attempt: row.attempts + 1,
    });
    return true;
  }

  private async runHandler(namespace: string, claimed: ClaimedStep): Promise<Outcome> {
    const { row } = claimed;
    const controller = new AbortController();
    const release = this.deps.running.add(row.taskId, row.stepId, controller);
    const timeoutMs = row.timeoutSeconds ? row.timeoutSeconds * 1000 : null;
    let timer: NodeJS.Timeout | undefined;
    let events: CustomEventCollector | undefined;
    try {
      const { definition, template } = this.definitionFor(namespace, row);
      const handler = resolveStepHandler(this.deps.stepHandlers[template.handlerClass]);
      events = this.customEventCollector(claimed, definition, template);
      const ctx = this.stepContext(claimed, template, controller.signal, events);
      const aborted = new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
        if (timeoutMs !== null) {
          timer = setTimeout(
            () => controller.abort(new StepTimeoutError(row.timeoutSeconds as number)),
            timeoutMs,
          );
        }
      });
      const value = await Promise.race([handler(ctx), aborted]);
      return { ok: true, results: toStoredResults(value), events: events.close() };
    } catch (error) {
      return { ok: false, failure: classifyStepError(error), events: events?.close() ?? [] };
    } finally {
      clearTimeout(timer);
      release();
    }
  }

  private definitionFor(
    namespace: string,
    row: ExecutionStepRow,
  ): { definition: TaskDefinition; template: StepTemplate } {
    const definition = this.deps.registry.resolve(row.taskName, { namespace, version: row.version });
    const template = definition.stepTemplates.find((t) => t.name === row.stepName);
    if (!template) {
      throw new Error(
        `Task definition ${namespace}.${row.taskName}@${row.version} has no step '${row.stepName}'`,
      );
    }
    if (!Object.hasOwn(this.deps.stepHandlers, template.handlerClass)) {
      throw new Error(`No step handler is registered for '${template.handlerClass}' in this process`);
    }
    return { definition, template };
  }

  private customEventCollector(
    claimed: ClaimedStep,
    definition: TaskDefinition,
    template: StepTemplate,
  ): CustomEventCollector {
    const { row } = claimed;
    return new CustomEventCollector(
      declaredEventNames(definition, template),
      { task_id: row.taskId, step_id: row.stepId, step_name: row.stepName, event_type: 'custom' },
      (name) =>
        this.deps.logger.warn(
          { taskId: row.taskId, stepId: row.stepId, event: name },
          'Dropped a custom event published after its step attempt had finished',
        ),
    );
  }

  private stepContext(
    claimed: ClaimedStep,
    template: StepTemplate,
    signal: AbortSignal,
    events: CustomEventCollector,
  ): StepContext {
    const { row } = claimed;
    const log = this.deps.logger.child({ taskId: row.taskId, stepId: row.stepId, step: row.stepName });
    const context = row.context as JsonObject;
    return {
      task: {
        taskId: row.taskId,
        name: row.taskName,
        namespace: row.namespace,
        version: row.version,
        context,
        tags: row.tags,
      },
      step: {
        workflowStepId: row.stepId,
        name: row.stepName,
        attempts: claimed.attempt,
        retryLimit: row.retryLimit,
        inputs: (row.inputs as JsonObject | null) ?? context,
        config: template.handlerConfig,
      },
      // A copy per call: along a chain run in one slot the ancestors' results are shared objects.
      results: (stepName) => {
        const value = claimed.ancestors.get(stepName);
        return value === undefined ? undefined : structuredClone(value);
      },
      signal,
      log: {
        info: (message, fields) => log.info(fields ?? {}, message),
        warn: (message, fields) => log.warn(fields ?? {}, message),
        error: (message, fields) => log.error(fields ?? {}, message),
      },
      publish: (eventName, payload) => events.publish(eventName, payload),
    };
  }

  /** Returns false when the job no longer belongs to this attempt (nothing is written then). */
  private async recordFailureOutcome(
    tx: Transaction,
    namespace: string,
    job: StepJob,
    claimed: ClaimedStep,
    failure: StepFailure,
    events: readonly CustomEvent[],
  ): Promise<boolean> {
    if (!(await this.deps.queue.complete(tx, namespace, job))) return false;
    // Registered first so that subscribers hear them before the step's outcome, as they happened.
    tx.afterCommit(() => events.forEach((event) => this.deps.bus.publish(event.name, event.payload)));
    const retryScheduled = await this.recordFailure(tx, namespace, claimed, failure);
    // A scheduled retry keeps the task where it is; otherwise the task may now be blocked.
    if (!retryScheduled) await this.deps.reconciler.reconcile(tx, claimed.row.taskId, namespace);
    return true;
  }

  private async recordFailure(
    tx: Transaction,
    namespace: string,
    claimed: ClaimedStep,
    failure: StepFailure,
  ): Promise<boolean> {
    const { row, attempt } = claimed;
    const retryAvailable = failure.kind === 'retryable' && row.retryable && attempt < row.retryLimit;
    const delay = retryAvailable ? retryDelay(failure, attempt, this.deps.backoff) : null;
    const backoffSeconds = delay?.seconds ?? null;
    const recorded = await recordStepFailure(tx, {
      stepId: row.stepId,
      error: {
        message: failure.message,
        error_class: failure.errorClass,
        error_code: failure.errorCode,
        retryable: failure.kind === 'retryable',
        attempt,
        context: failure.context as JsonObject | null,
        backtrace: failure.backtrace,
      },
      retryable: failure.kind === 'retryable',
      backoffSeconds,
    });
    const retryAt =
      backoffSeconds === null ? null : new Date(recorded.lastAttemptedAt.getTime() + backoffSeconds * 1000);
    await this.deps.transitions.transitionStep(tx, row.stepId, 'error', {
      error_message: failure.message,
      error_class: failure.errorClass,
      attempt_number: recorded.attempts,
      retry_available: retryAvailable,
      backoff_seconds: backoffSeconds,
      backoff_until: retryAt?.toISOString() ?? null,
    });
    if (failure.kind === 'retryable' && row.retryable && attempt >= row.retryLimit) {
      this.publishMaxRetriesReached(tx, row, recorded.attempts, failure);
    }
    if (!delay || !retryAt) return false;
    await this.deps.queue.enqueue(tx, namespace, [
      { taskId: row.taskId, stepId: row.stepId, startAfter: retryAt },
    ]);
    publishAfterCommit(tx, this.deps.bus, 'observability.step.backoff', {
      task_id: row.taskId,
      task_name: row.taskName,
      namespace: row.namespace,
      step_id: row.stepId,
      step_name: row.stepName,
      attempt,
      backoff_seconds: delay.seconds,
      backoff_type: delay.type,
      retry_at: retryAt.toISOString(),
    });
    return true;
  }

  private publishMaxRetriesReached(
    tx: Transaction,
    row: ExecutionStepRow,
    attempts: number,
    failure: { errorClass: string; message: string },
  ): void {
    publishAfterCommit(tx, this.deps.bus, 'observability.step.max_retries_reached', {
      task_id: row.taskId,
      task_name: row.taskName,
      namespace: row.namespace,
      step_id: row.stepId,
      step_name: row.stepName,
      attempts,
      retry_limit: row.retryLimit,
      error_class: failure.errorClass,
      error_message: failure.message,
    });
  }
}
