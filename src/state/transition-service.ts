import { IllegalTransitionError, NotFoundError } from '../errors';
import type { StepTransitionPayload, TaskTransitionPayload } from '../events/catalog';
import type { EventBus } from '../events/event-bus';
import type { TransitionEvent } from '../events/transition-event';
import { transitionStepRows, transitionTaskRow, type StepTransitionRow } from '../db/queries/transitions';
import type { Transaction } from '../db/transaction';
import {
  STEP_TRANSITION_EVENTS,
  STEP_TRANSITIONS,
  TASK_TRANSITION_EVENTS,
  TASK_TRANSITIONS,
  transitionEventName,
  type StepState,
  type TaskState,
} from './states';

export type TransitionMetadata = Record<string, unknown>;

/** Runs a publication once the change it reports has committed: `tx.afterCommit`, or at once when it already has. */
export type AfterCommit = (publish: () => void) => void;

/** The states from which the transition tables allow a move into each state, for SQL fast paths. */
export function allowedIntoStep(to: StepState): StepState[] {
  return statesAllowedInto(STEP_TRANSITIONS, to);
}

export function allowedIntoTask(to: TaskState): TaskState[] {
  return statesAllowedInto(TASK_TRANSITIONS, to);
}

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

export interface StepTransitionOptions {
  /** Leave steps whose transition is not allowed untouched instead of failing the whole batch. */
  skipDisallowed?: boolean;
}

/** The states from which the table allows a move to `to`. */
function statesAllowedInto<S extends string>(table: Readonly<Record<S, readonly S[]>>, to: S): S[] {
  return (Object.keys(table) as S[]).filter((from) => table[from].includes(to));
}

/**
 * The only way task and step states change. The transition tables (src/state/states.ts) decide what
 * may happen; one SQL call per change locks the row, checks the current state and the guards
 * (parents complete before a step starts, every step done before a task completes), flips
 * `most_recent` and appends the transition inside the caller's transaction. The mapped event is
 * published once that transaction has committed.
 */
export class TransitionService {
  /**
   * @param bus in-process lifecycle events (`task.completed`, …)
   * @param broadcast committed changes for every process (e.g. GraphQL subscriptions), in commit order
   */
  constructor(
    private readonly bus: EventBus,
    private readonly broadcast: (event: TransitionEvent) => void = () => undefined,
  ) {}

  async transitionTask(
    tx: Transaction,
    taskId: number,
    toState: TaskState,
    metadata: TransitionMetadata = {},
  ): Promise<TaskTransitionResult> {
    const row = await transitionTaskRow(
      tx,
      taskId,
      toState,
      statesAllowedInto(TASK_TRANSITIONS, toState),
      metadata,
    );
    if (!row) throw new NotFoundError(`Task ${taskId} not found`);
    const fromState = row.fromState as TaskState;
    if (!row.applied) {
      throw new IllegalTransitionError('task', String(taskId), fromState, toState, row.refusal ?? 'refused');
    }
    const result: TaskTransitionResult = {
      taskId,
      fromState,
      toState,
      event: transitionEventName(TASK_TRANSITION_EVENTS, fromState, toState),
      transitionedAt: row.transitionedAt as Date,
    };
    this.announceTask(
      (publish) => tx.afterCommit(publish),
      {
        taskId,
        name: row.taskName,
        namespace: row.namespace,
        version: row.version,
        fromState,
        toState,
        at: result.transitionedAt,
      },
      metadata,
    );
    return result;
  }

  async transitionStep(
    tx: Transaction,
    stepId: number,
    toState: StepState,
    metadata: TransitionMetadata = {},
  ): Promise<StepTransitionResult> {
    const [result] = await this.transitionSteps(tx, [stepId], toState, metadata);
    return result;
  }

  /** Transitions many steps in one call. Results follow step id order. */
  async transitionSteps(
    tx: Transaction,
    stepIds: readonly number[],
    toState: StepState,
    metadata: TransitionMetadata = {},
    { skipDisallowed = false }: StepTransitionOptions = {},
  ): Promise<StepTransitionResult[]> {
    if (stepIds.length === 0) return [];
    const rows = await transitionStepRows(
      tx,
      stepIds,
      toState,
      statesAllowedInto(STEP_TRANSITIONS, toState),
      toState === 'in_progress',
      metadata,
    );
    const missing = stepIds.filter((id) => !rows.some((row) => row.stepId === id));
    if (missing.length > 0) throw new NotFoundError(`Workflow step ${missing.join(', ')} not found`);
    const refused = rows.find((row) => !row.applied);
    if (refused && !skipDisallowed) {
      throw new IllegalTransitionError(
        'step',
        String(refused.stepId),
        refused.fromState,
        toState,
        refused.refusal ?? 'refused',
      );
    }
    const applied = rows.filter((row) => row.applied);
    return this.announceSteps((publish) => tx.afterCommit(publish), applied, toState, metadata);
  }

  /**
   * Publishes step transitions that a SQL function wrote itself (the executor's fast paths), as
   * `transitionSteps` would have.
   */
  announceSteps(
    afterCommit: AfterCommit,
    applied: readonly StepTransitionRow[],
    toState: StepState,
    metadata: TransitionMetadata,
  ): StepTransitionResult[] {
    const results = applied.map((row) => this.stepResult(row, toState));
    afterCommit(() => {
      applied.forEach((row, index) => this.publishStep(results[index], row, metadata));
    });
    return results;
  }

  /** `announceSteps` for the one step a fast path moved (it was applied: the function wrote it). */
  announceStep(
    afterCommit: AfterCommit,
    step: Omit<StepTransitionRow, 'applied' | 'refusal'>,
    toState: StepState,
    metadata: TransitionMetadata,
  ): void {
    this.announceSteps(afterCommit, [{ ...step, applied: true, refusal: null }], toState, metadata);
  }

  private stepResult(row: StepTransitionRow, toState: StepState): StepTransitionResult {
    const fromState = row.fromState as StepState;
    return {
      taskId: row.taskId,
      stepId: row.stepId,
      stepName: row.stepName,
      fromState,
      toState,
      event: transitionEventName(STEP_TRANSITION_EVENTS, fromState, toState),
      transitionedAt: row.transitionedAt as Date,
    };
  }

  /** Publishes a task transition (written by `transitionTask` or by a SQL fast path) once it has committed. */
  announceTask(
    afterCommit: AfterCommit,
    task: TaskIdentity & { fromState: TaskState | null; toState: TaskState; at: Date | null },
    metadata: TransitionMetadata,
  ): void {
    const event = transitionEventName(TASK_TRANSITION_EVENTS, task.fromState, task.toState);
    if (!event) return;
    afterCommit(() => {
      this.broadcast({
        event,
        taskId: task.taskId,
        namespace: task.namespace,
        stepId: null,
        stepName: null,
        fromState: task.fromState,
        toState: task.toState,
        occurredAt: (task.at ?? new Date()).toISOString(),
      });
      this.bus.publish(event, {
        task_id: task.taskId,
        task_name: task.name,
        namespace: task.namespace,
        version: task.version,
        from_state: task.fromState,
        to_state: task.toState,
        transitioned_at: task.at?.toISOString() ?? null,
        metadata,
      } satisfies TaskTransitionPayload);
    });
  }

  private publishStep(
    result: StepTransitionResult,
    row: StepTransitionRow,
    metadata: TransitionMetadata,
  ): void {
    if (!result.event) return;
    this.broadcast({
      event: result.event,
      taskId: result.taskId,
      namespace: row.namespace,
      stepId: result.stepId,
      stepName: result.stepName,
      fromState: result.fromState,
      toState: result.toState,
      occurredAt: result.transitionedAt.toISOString(),
    });
    this.bus.publish(result.event, {
      task_id: result.taskId,
      task_name: row.taskName,
      namespace: row.namespace,
      version: row.version,
      step_id: result.stepId,
      step_name: result.stepName,
      attempt_number: row.attempts,
      retry_limit: row.retryLimit,
      from_state: result.fromState,
      to_state: result.toState,
      transitioned_at: result.transitionedAt.toISOString(),
      metadata,
    } satisfies StepTransitionPayload);
  }
}
