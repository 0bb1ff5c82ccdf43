import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  completeSteps,
  startSteps,
  type CompletedStepRow,
  type StartedStepRow,
} from '../db/queries/execution';
import { withRetriedTransaction, type Transaction } from '../db/transaction';
import { IllegalTransitionError, NotFoundError } from '../errors';
import type { CustomEvent } from '../events/custom-events';
import type { EventBus } from '../events/event-bus';
import type { StepJob, StepQueue } from '../queue/step-queue';
import type { JsonValue } from '../registry/types';
import type { TaskState } from '../state/states';
import {
  allowedIntoStep,
  allowedIntoTask,
  type AfterCommit,
  type TransitionService,
} from '../state/transition-service';
import type { ClaimedStep } from './claimed-step';
import { CoalescingBatcher } from './coalescing-batcher';
import { claimedFromStart, START_STEP_FROM, START_TASK_FROM } from './step-starter';
import type { TaskReconciler } from './task-reconciler';

/** What `tasker_complete_step` may move, from the transition tables. */
const COMPLETE_STEP_TRANSITIONS = {
  step_complete: allowedIntoStep('complete'),
  task_pending: allowedIntoTask('pending'),
  task_in_progress: allowedIntoTask('in_progress'),
  task_complete: allowedIntoTask('complete'),
};
const MAX_BATCH = 64;
const MAX_CONCURRENT_BATCHES = 2;

export interface StepSuccessRecord {
  namespace: string;
  job: StepJob;
  claimed: ClaimedStep;
  results: JsonValue | null;
  /** Custom events the handler published; delivered once the outcome commits. */
  events: readonly CustomEvent[];
  /** The attempt's slot may go on with a step this success makes ready (eager dispatch). */
  continueInSlot: boolean;
}

/** A step claimed for the finishing attempt's slot, in the transaction that recorded the success. */
export interface HandedOffStep {
  job: StepJob;
  claimed: ClaimedStep;
}

export interface SuccessOutcome {
  /** False when the job no longer belongs to this attempt (nothing was written then). */
  recorded: boolean;
  next?: HandedOffStep;
}

interface HandOffCandidate {
  record: StepSuccessRecord;
  taskId: number;
  stepId: number;
  jobId: string;
  /** The finishing step: the candidate's ancestry is its ancestry plus itself. */
  knownParentId: number;
}

export interface SuccessRecorderDependencies {
  pool: pg.Pool;
  queue: StepQueue;
  transitions: TransitionService;
  reconciler: TaskReconciler;
  bus: EventBus;
  onAfterCommitError: (error: unknown) => void;
}

/**
 * Records successful attempts, those that finish at about the same time together (group commit):
 * one transaction completes their jobs (fenced to the attempts, one statement per namespace),
 * records them (`tasker_complete_step` each, one statement), enqueues the children that became
 * ready (one insert per namespace) and leaves anything unusual to the general reconciler. When a
 * batch fails, each of its successes is recorded on its own, so one bad step cannot hold back the
 * rest.
 *
 * Eager dispatch: when a success makes steps of its task ready and its slot may go on, the first of
 * them is claimed in the same transaction (`tasker_start_step`, and a job inserted already active
 * for this process) and handed back to run next in that slot, so a chain of steps pays one commit
 * per hop instead of an enqueue, a fetch and a claim. The others are queued for any worker.
 */
export class SuccessRecorder {
  private readonly batcher = new CoalescingBatcher<StepSuccessRecord, SuccessOutcome>(
    (records) => this.transaction((tx) => this.write(tx, records)),
    { maxBatchSize: MAX_BATCH, maxConcurrentBatches: MAX_CONCURRENT_BATCHES, retryAloneOnFailure: true },
  );

  constructor(private readonly deps: SuccessRecorderDependencies) {}

  record(success: StepSuccessRecord): Promise<SuccessOutcome> {
    return this.batcher.submit(success);
  }

  private transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return withRetriedTransaction(this.deps.pool, work, this.deps.onAfterCommitError);
  }

  private async write(tx: Transaction, records: readonly StepSuccessRecord[]): Promise<SuccessOutcome[]> {
    // Jobs first: a lapsed claim (expired, cancelled, handed to another worker) records nothing.
    const completed = new Set<string>();
    for (const [namespace, group] of groupBy(records, (record) => record.namespace)) {
      const ids = await this.deps.queue.completeMany(
        tx,
        namespace,
        group.map((record) => record.job),
      );
      ids.forEach((id) => completed.add(id));
    }
    const kept = records.filter((record) => completed.has(record.job.id));
    const rows = await completeSteps(
      tx,
      kept.map((record) => ({
        taskId: record.claimed.row.taskId,
        stepId: record.claimed.row.stepId,
        results: record.results,
      })),
      COMPLETE_STEP_TRANSITIONS,
    );
    const byStep = new Map(rows.map((row) => [row.stepId, row]));
    const afterCommit: AfterCommit = (publish) => tx.afterCommit(publish);
    const ready = new Map<string, { namespace: string; taskId: number; stepIds: number[] }>();
    const reconcile: StepSuccessRecord[] = [];
    const candidates: HandOffCandidate[] = [];
    for (const record of kept) {
      const { taskId, stepId } = record.claimed.row;
      const done = byStep.get(stepId);
      if (!done) throw new NotFoundError(`Workflow step ${stepId} not found`);
      if (!done.applied) {
        throw new IllegalTransitionError(
          'step',
          String(stepId),
          done.fromState,
          'complete',
          done.refusal ?? 'refused',
        );
      }
      // Registered first so that subscribers hear them before the step's outcome, as they happened.
      afterCommit(() => record.events.forEach((event) => this.deps.bus.publish(event.name, event.payload)));
      this.announce(afterCommit, record, done);
      if (done.readyIds.length > 0) {
        const key = `${record.namespace}\u0000${taskId}`;
        const entry = ready.get(key) ?? { namespace: record.namespace, taskId, stepIds: [] };
        entry.stepIds.push(...done.readyIds);
        ready.set(key, entry);
        if (record.continueInSlot) {
          candidates.push({
            record,
            taskId,
            stepId: done.readyIds[0],
            jobId: randomUUID(),
            knownParentId: stepId,
          });
        }
      }
      if (done.reconcile) reconcile.push(record);
    }
    const started = await this.startHandOffs(tx, candidates);
    const claimedHere = new Set(started.map(({ candidate }) => candidate.stepId));
    for (const [namespace, tasks] of groupBy([...ready.values()], (entry) => entry.namespace)) {
      await this.deps.reconciler.enqueueViableSteps(tx, namespace, tasks, claimedHere);
    }
    const next = new Map<StepSuccessRecord, HandedOffStep>();
    for (const [namespace, group] of groupBy(started, ({ candidate }) => candidate.record.namespace)) {
      const jobs = await this.deps.queue.enqueueClaimed(
        tx,
        namespace,
        group.map(({ candidate }) => ({
          id: candidate.jobId,
          taskId: candidate.taskId,
          stepId: candidate.stepId,
        })),
      );
      group.forEach(({ candidate, row }, index) => {
        // Announced after the viable-steps event, in the order the queued path would give.
        const { claimed: parent, results } = candidate.record;
        // Null when the finishing step is the candidate's only parent: its ancestry plus itself.
        const ancestors =
          row.ancestors === null ? new Map(parent.ancestors).set(parent.row.stepName, results) : undefined;
        const claimed = claimedFromStart(this.deps.transitions, afterCommit, jobs[index], row, ancestors);
        next.set(candidate.record, { job: jobs[index], claimed });
      });
    }
    for (const record of reconcile) {
      await this.deps.reconciler.reconcile(tx, record.claimed.row.taskId, record.namespace);
    }
    return records.map((record) => ({ recorded: completed.has(record.job.id), next: next.get(record) }));
  }

  /** Claims the hand-off candidates; those that cannot start here are queued like their siblings. */
  private async startHandOffs(
    tx: Transaction,
    candidates: readonly HandOffCandidate[],
  ): Promise<Array<{ candidate: HandOffCandidate; row: StartedStepRow }>> {
    if (candidates.length === 0) return [];
    const rows = await startSteps(tx, candidates, START_STEP_FROM, START_TASK_FROM);
    const byStep = new Map(rows.map((row) => [row.stepId, row]));
    return candidates.flatMap((candidate) => {
      const row = byStep.get(candidate.stepId);
      return row?.started ? [{ candidate, row }] : [];
    });
  }

  private announce(afterCommit: AfterCommit, record: StepSuccessRecord, done: CompletedStepRow): void {
    const { row } = record.claimed;
    const identity = {
      taskId: row.taskId,
      name: done.taskName ?? row.taskName,
      namespace: done.namespace,
      version: done.version ?? row.version,
    };
    this.deps.transitions.announceStep(
      afterCommit,
      {
        taskId: row.taskId,
        namespace: identity.namespace,
        taskName: identity.name,
        version: identity.version,
        stepId: row.stepId,
        stepName: done.stepName,
        attempts: done.attempts,
        retryLimit: done.retryLimit,
        fromState: done.fromState,
        transitionedAt: done.transitionedAt,
      },
      'complete',
      { attempt_number: done.attempts },
    );
    for (const change of done.taskTransitions) {
      this.deps.transitions.announceTask(
        afterCommit,
        {
          ...identity,
          fromState: change.from as TaskState,
          toState: change.to as TaskState,
          at: new Date(change.at),
        },
        change.metadata,
      );
    }
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
