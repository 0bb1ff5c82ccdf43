import {
  claimReadySteps,
  claimWaitingRetries,
  lockTask,
  taskExecutionContext,
} from '../db/queries/execution';
import type { Transaction } from '../db/transaction';
import type { EventBus } from '../events/event-bus';
import { publishViableSteps } from '../events/system-events';
import type { StepQueue } from '../queue/step-queue';
import type { TaskState } from '../state/states';
import type { TransitionService } from '../state/transition-service';

export interface ReconcileResult {
  /** The task's state afterwards. */
  status: TaskState;
  /** Steps that got a job. */
  enqueuedStepIds: number[];
}

const SETTLED_TASK_STATES: readonly string[] = ['complete', 'cancelled', 'resolved_manually'];

/**
 * Brings a task in line with its steps, inside the transaction that changed them (under the task's
 * row lock, so concurrent outcomes take turns): steps that became ready get jobs; a task whose steps are all done completes;
 * one that can make no more progress goes to `error`; an `error` task with work to do again resumes.
 */
export class TaskReconciler {
  constructor(
    private readonly queue: StepQueue,
    private readonly transitions: TransitionService,
    private readonly bus: EventBus,
  ) {}

  async reconcile(tx: Transaction, taskId: number, namespace: string): Promise<ReconcileResult | undefined> {
    await lockTask(tx, taskId);
    const context = await taskExecutionContext(tx, taskId);
    if (!context) return undefined;
    const status = context.status as TaskState;
    if (SETTLED_TASK_STATES.includes(status)) return { status, enqueuedStepIds: [] };

    if (context.executionStatus === 'all_complete') {
      await this.moveTask(tx, taskId, status, ['pending', 'in_progress', 'complete'], {
        completed_steps: context.completedSteps,
        total_steps: context.totalSteps,
      });
      return { status: 'complete', enqueuedStepIds: [] };
    }
    if (context.executionStatus === 'blocked_by_failures') {
      if (status !== 'error') {
        await this.transitions.transitionTask(tx, taskId, 'error', { error_message: 'steps_in_error_state' });
      }
      return { status: 'error', enqueuedStepIds: [] };
    }
    if (status === 'error') {
      await this.transitions.transitionTask(tx, taskId, 'pending', { reason: 'steps_runnable_again' });
    }
    const enqueuedStepIds = context.readySteps > 0 ? await this.enqueueReadySteps(tx, taskId, namespace) : [];
    if (context.executionStatus === 'waiting_for_dependencies')
      await this.scheduleWaitingRetries(tx, taskId, namespace);
    return { status: status === 'error' ? 'pending' : status, enqueuedStepIds };
  }

  private async enqueueReadySteps(tx: Transaction, taskId: number, namespace: string): Promise<number[]> {
    const stepIds = await claimReadySteps(tx, taskId);
    await this.enqueueViableSteps(tx, namespace, [{ taskId, stepIds }]);
    return stepIds;
  }

  /**
   * Enqueues jobs (one insert) for steps of several tasks of one namespace that are already marked
   * as owned by a job, and announces them. Steps in `claimedHere` already hold a job (claimed by
   * this process): they are announced, not enqueued.
   */
  async enqueueViableSteps(
    tx: Transaction,
    namespace: string,
    tasks: ReadonlyArray<{ taskId: number; stepIds: readonly number[] }>,
    claimedHere: ReadonlySet<number> = new Set(),
  ): Promise<void> {
    const jobs = tasks.flatMap(({ taskId, stepIds }) =>
      stepIds.filter((stepId) => !claimedHere.has(stepId)).map((stepId) => ({ taskId, stepId })),
    );
    await this.queue.enqueue(tx, namespace, jobs);
    for (const { taskId, stepIds } of tasks) {
      if (stepIds.length > 0) publishViableSteps(tx, this.bus, taskId, namespace, stepIds);
    }
  }

  private async scheduleWaitingRetries(tx: Transaction, taskId: number, namespace: string): Promise<void> {
    const waiting = await claimWaitingRetries(tx, taskId);
    await this.queue.enqueue(
      tx,
      namespace,
      waiting.map((step) => ({ taskId, stepId: step.stepId, startAfter: step.nextRetryAt })),
    );
  }

  /** Walks the task through `path` from wherever it is now (e.g. error → pending → in_progress → complete). */
  private async moveTask(
    tx: Transaction,
    taskId: number,
    from: TaskState,
    path: readonly TaskState[],
    metadata: Record<string, unknown>,
  ): Promise<void> {
    const start = from === 'error' ? 0 : path.indexOf(from) + 1;
    for (const state of path.slice(start)) await this.transitions.transitionTask(tx, taskId, state, metadata);
  }
}
