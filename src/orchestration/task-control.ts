import type pg from 'pg';
import {
  lockTask,
  namespaceOfTask,
  resetFailedSteps,
  resolveStepData,
  setStepsInProcess,
  stepBelongsToTask,
  taskStepStates,
  updateStepFields,
  updateTaskFields,
} from '../db/queries/execution';
import { withRetriedTransaction, type Transaction } from '../db/transaction';
import { IllegalTransitionError, NotFoundError } from '../errors';
import type { StepQueue } from '../queue/step-queue';
import type { JsonObject, JsonValue } from '../registry/types';
import { transitionTableRefusal, STEP_TRANSITIONS, type StepState } from '../state/states';
import type { TransitionService } from '../state/transition-service';
import type { CancelTarget } from './running-steps';
import type { TaskReconciler } from './task-reconciler';

const CANCELLABLE_STEP_STATES: readonly string[] = ['pending', 'in_progress'];

export interface TaskControlDependencies {
  pool: pg.Pool;
  queue: StepQueue;
  transitions: TransitionService;
  reconciler: TaskReconciler;
  /** Called after a cancellation commits, to abort the running handlers everywhere. */
  onCancelled: (target: CancelTarget) => void;
  onAfterCommitError: (error: unknown) => void;
}

/** Operator actions on a running or failed task: cancel, retry, resolve a step by hand. */
export class TaskControl {
  constructor(private readonly deps: TaskControlDependencies) {}

  /** Cancels the task, its pending and running steps and their jobs; running handlers see their signal abort. */
  async cancelTask(taskId: number, reason?: string): Promise<void> {
    await this.inTaskTransaction(taskId, async (tx, namespace) => {
      await this.deps.transitions.transitionTask(tx, taskId, 'cancelled', {
        triggered_by: reason ?? 'cancelTask',
      });
      const steps = await taskStepStates(tx, taskId);
      await this.deps.transitions.transitionSteps(
        tx,
        steps.filter((step) => CANCELLABLE_STEP_STATES.includes(step.state)).map((step) => step.stepId),
        'cancelled',
        { triggered_by: 'task cancelled' },
      );
      await setStepsInProcess(
        tx,
        steps.filter((step) => step.inProcess).map((step) => step.stepId),
        false,
      );
      await this.deps.queue.cancelJobs(tx, namespace, { taskId });
      tx.afterCommit(() => this.deps.onCancelled({ taskId }));
    });
  }

  /** Takes an `error` task back to running: failed steps get a fresh set of attempts. */
  async retryTask(taskId: number): Promise<void> {
    await this.inTaskTransaction(taskId, async (tx, namespace) => {
      await this.deps.transitions.transitionTask(tx, taskId, 'pending', { reason: 'retryTask' });
      await resetFailedSteps(tx, taskId);
      await this.deps.reconciler.reconcile(tx, taskId, namespace);
    });
  }

  /** Marks a pending or failed step resolved by hand (optionally with results); the DAG continues. */
  async resolveStep(taskId: number, stepId: number, results?: JsonValue): Promise<void> {
    await this.inTaskTransaction(taskId, async (tx, namespace) => {
      await this.requireStepOfTask(tx, taskId, stepId);
      const state = (await taskStepStates(tx, taskId)).find((step) => step.stepId === stepId)
        ?.state as StepState;
      const refusal = transitionTableRefusal(STEP_TRANSITIONS, state, 'resolved_manually');
      if (refusal)
        throw new IllegalTransitionError('step', String(stepId), state, 'resolved_manually', refusal);
      await this.deps.queue.cancelJobs(tx, namespace, { taskId, stepId });
      await resolveStepData(tx, stepId, results);
      await this.deps.transitions.transitionStep(tx, stepId, 'resolved_manually', {
        resolved_by: 'resolveStep',
      });
      await this.deps.reconciler.reconcile(tx, taskId, namespace);
    });
  }

  /** Cancels one pending or running step (its job too); its dependants can then never run. */
  async cancelStep(taskId: number, stepId: number): Promise<void> {
    await this.inTaskTransaction(taskId, async (tx, namespace) => {
      await this.requireStepOfTask(tx, taskId, stepId);
      await this.deps.transitions.transitionStep(tx, stepId, 'cancelled', { triggered_by: 'cancelStep' });
      await setStepsInProcess(tx, [stepId], false);
      await this.deps.queue.cancelJobs(tx, namespace, { taskId, stepId });
      await this.deps.reconciler.reconcile(tx, taskId, namespace);
      tx.afterCommit(() => this.deps.onCancelled({ stepId }));
    });
  }

  /** Changes a task's reason and/or tags. */
  async updateTask(taskId: number, changes: { reason?: string; tags?: string[] }): Promise<void> {
    await this.inTaskTransaction(taskId, (tx) => updateTaskFields(tx, taskId, changes));
  }

  /**
   * Changes a step's retry limit and/or inputs. Raising the limit of a step that ran out of attempts
   * makes it runnable again, so the task is reconciled in the same transaction.
   */
  async updateStep(
    taskId: number,
    stepId: number,
    changes: { retryLimit?: number; inputs?: JsonObject },
  ): Promise<void> {
    await this.inTaskTransaction(taskId, async (tx, namespace) => {
      await this.requireStepOfTask(tx, taskId, stepId);
      await updateStepFields(tx, stepId, changes);
      await this.deps.reconciler.reconcile(tx, taskId, namespace);
    });
  }

  private async requireStepOfTask(tx: Transaction, taskId: number, stepId: number): Promise<void> {
    if (!(await stepBelongsToTask(tx, taskId, stepId))) {
      throw new NotFoundError(`Workflow step ${stepId} not found in task ${taskId}`);
    }
  }

  private async inTaskTransaction(
    taskId: number,
    work: (tx: Transaction, namespace: string) => Promise<void>,
  ): Promise<void> {
    await withRetriedTransaction(
      this.deps.pool,
      async (tx) => {
        if (!(await lockTask(tx, taskId, 'control'))) throw new NotFoundError(`Task ${taskId} not found`);
        await work(tx, (await namespaceOfTask(tx, taskId)) as string);
      },
      this.deps.onAfterCommitError,
    );
  }
}
