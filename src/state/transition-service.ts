import { IllegalTransitionError, NotFoundError } from '../errors';
import type { EventBus } from '../events/event-bus';
import {
  appendTransitions,
  countStepsNotDone,
  lockStepsForTransition,
  lockTaskForTransition,
  markTaskComplete,
  stepsWithUnsatisfiedParents,
  type LockedStep,
} from '../db/queries/transitions';
import type { Transaction } from '../db/transaction';
import {
  STEP_TRANSITION_EVENTS,
  STEP_TRANSITIONS,
  TASK_TRANSITION_EVENTS,
  TASK_TRANSITIONS,
  transitionEventName,
  transitionTableRefusal,
  type StepState,
  type TaskState,
} from './states';

/** Statesman's convention: each new row's sort key is the previous one + 10. */
const SORT_KEY_STEP = 10;

export type TransitionMetadata = Record<string, unknown>;

export interface TaskIdentity {
  taskId: number;
  name: string;
  namespace: string;
  version: string;
}

export interface TaskTransitionResult {
  taskId: number;
  /** `null` only for a task's first transition. */
  fromState: TaskState | null;
  toState: TaskState;
  event: string | undefined;
  transitionedAt: Date;
}

export interface StepTransitionResult {
  taskId: number;
  stepId: number;
  stepName: string;
  fromState: StepState;
  toState: StepState;
  event: string | undefined;
  transitionedAt: Date;
}

export interface StepTransitionRequest {
  stepId: number;
  toState: StepState;
  metadata?: TransitionMetadata;
}

export interface StepTransitionOptions {
  /** Leave steps whose transition is not allowed untouched instead of failing the whole batch. */
  skipDisallowed?: boolean;
}

/**
 * The only way task and step states change: lock the row, check the transition table and the guards,
 * append the transition (flipping `most_recent`) inside the caller's transaction, and publish the
 * mapped event once that transaction has committed.
 */
export class TransitionService {
  constructor(private readonly bus: EventBus) {}

  /** Writes a new task's first transition (none → pending, sort key 0) inside its creating transaction. */
  async recordTaskCreated(
    tx: Transaction,
    task: TaskIdentity,
    metadata: TransitionMetadata = {},
  ): Promise<void> {
    const [inserted] = await appendTransitions(tx, 'task', [
      { parentId: task.taskId, toState: 'pending', fromState: null, metadata, sortKey: 0 },
    ]);
    const result: TaskTransitionResult = {
      taskId: task.taskId,
      fromState: null,
      toState: 'pending',
      event: transitionEventName(TASK_TRANSITION_EVENTS, null, 'pending'),
      transitionedAt: inserted.createdAt,
    };
    tx.afterCommit(() => this.publishTask(result, task, metadata));
  }

  async transitionTask(
    tx: Transaction,
    taskId: number,
    toState: TaskState,
    metadata: TransitionMetadata = {},
  ): Promise<TaskTransitionResult> {
    const task = await lockTaskForTransition(tx, taskId);
    if (!task) throw new NotFoundError(`Task ${taskId} not found`);
    const fromState = (task.currentState ?? 'pending') as TaskState;
    const refusal = await this.taskRefusal(tx, taskId, fromState, toState);
    if (refusal) throw new IllegalTransitionError('task', String(taskId), fromState, toState, refusal);

    const [inserted] = await appendTransitions(tx, 'task', [
      { parentId: taskId, toState, fromState, metadata, sortKey: (task.sortKey ?? 0) + SORT_KEY_STEP },
    ]);
    if (toState === 'complete') await markTaskComplete(tx, taskId);

    const result: TaskTransitionResult = {
      taskId,
      fromState,
      toState,
      event: transitionEventName(TASK_TRANSITION_EVENTS, fromState, toState),
      transitionedAt: inserted.createdAt,
    };
    tx.afterCommit(() => this.publishTask(result, task, metadata));
    return result;
  }

  async transitionStep(
    tx: Transaction,
    stepId: number,
    toState: StepState,
    metadata: TransitionMetadata = {},
  ): Promise<StepTransitionResult> {
    const [result] = await this.transitionSteps(tx, [{ stepId, toState, metadata }]);
    return result;
  }

  /** Transitions many steps with one lock, one guard query and one insert. Results follow step id order. */
  async transitionSteps(
    tx: Transaction,
    requests: readonly StepTransitionRequest[],
    { skipDisallowed = false }: StepTransitionOptions = {},
  ): Promise<StepTransitionResult[]> {
    if (requests.length === 0) return [];
    const byId = new Map(requests.map((request) => [request.stepId, request]));
    const locked = await lockStepsForTransition(tx, [...byId.keys()]);
    const missing = [...byId.keys()].filter((id) => !locked.some((step) => step.stepId === id));
    if (missing.length > 0) throw new NotFoundError(`Workflow step ${missing.join(', ')} not found`);

    const blockedByParents = new Set(
      await stepsWithUnsatisfiedParents(
        tx,
        requests.filter((r) => r.toState === 'in_progress').map((r) => r.stepId),
      ),
    );
    const allowed: LockedStep[] = [];
    for (const step of locked) {
      const request = byId.get(step.stepId) as StepTransitionRequest;
      const fromState = (step.currentState ?? 'pending') as StepState;
      const refusal =
        transitionTableRefusal(STEP_TRANSITIONS, fromState, request.toState) ??
        (blockedByParents.has(step.stepId) ? 'its parent steps are not all complete' : null);
      if (!refusal) allowed.push(step);
      else if (!skipDisallowed)
        throw new IllegalTransitionError('step', String(step.stepId), fromState, request.toState, refusal);
    }
    if (allowed.length === 0) return [];

    const inserted = await appendTransitions(
      tx,
      'step',
      allowed.map((step) => {
        const request = byId.get(step.stepId) as StepTransitionRequest;
        return {
          parentId: step.stepId,
          toState: request.toState,
          fromState: step.currentState ?? 'pending',
          metadata: request.metadata ?? {},
          sortKey: (step.sortKey ?? 0) + SORT_KEY_STEP,
        };
      }),
    );
    const insertedAt = new Map(inserted.map((row) => [row.parentId, row.createdAt]));
    const results = allowed.map((step): StepTransitionResult => {
      const fromState = (step.currentState ?? 'pending') as StepState;
      const toState = (byId.get(step.stepId) as StepTransitionRequest).toState;
      return {
        taskId: step.taskId,
        stepId: step.stepId,
        stepName: step.name,
        fromState,
        toState,
        event: transitionEventName(STEP_TRANSITION_EVENTS, fromState, toState),
        transitionedAt: insertedAt.get(step.stepId) as Date,
      };
    });
    tx.afterCommit(() => {
      for (const [index, result] of results.entries()) this.publishStep(result, allowed[index], byId);
    });
    return results;
  }

  private async taskRefusal(
    tx: Transaction,
    taskId: number,
    fromState: TaskState,
    toState: TaskState,
  ): Promise<string | null> {
    const tableRefusal = transitionTableRefusal(TASK_TRANSITIONS, fromState, toState);
    if (tableRefusal) return tableRefusal;
    if (toState === 'complete') {
      const notDone = await countStepsNotDone(tx, taskId);
      if (notDone > 0) return `${notDone} step(s) are not complete`;
    }
    return null;
  }

  private publishTask(
    result: TaskTransitionResult,
    task: Omit<TaskIdentity, 'taskId'>,
    metadata: TransitionMetadata,
  ): void {
    if (!result.event) return;
    this.bus.publish(result.event, {
      task_id: result.taskId,
      task_name: task.name,
      namespace: task.namespace,
      version: task.version,
      from_state: result.fromState,
      to_state: result.toState,
      transitioned_at: result.transitionedAt.toISOString(),
      metadata,
    });
  }

  private publishStep(
    result: StepTransitionResult,
    step: LockedStep,
    requests: Map<number, StepTransitionRequest>,
  ): void {
    if (!result.event) return;
    this.bus.publish(result.event, {
      task_id: result.taskId,
      step_id: result.stepId,
      step_name: result.stepName,
      attempt_number: step.attempts,
      retry_limit: step.retryLimit,
      from_state: result.fromState,
      to_state: result.toState,
      transitioned_at: result.transitionedAt.toISOString(),
      metadata: requests.get(result.stepId)?.metadata ?? {},
    });
  }
}
