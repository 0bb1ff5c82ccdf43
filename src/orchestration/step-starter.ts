import type pg from 'pg';
import { startSteps, type StartedStepRow } from '../db/queries/execution';
import type { Logger } from '../interfaces';
import type { StepJob } from '../queue/step-queue';
import type { JsonValue } from '../registry/types';
import {
  allowedIntoStep,
  allowedIntoTask,
  type AfterCommit,
  type TransitionService,
} from '../state/transition-service';
import type { ClaimedStep } from './claimed-step';
import { CoalescingBatcher } from './coalescing-batcher';

export const START_STEP_FROM = allowedIntoStep('in_progress');
export const START_TASK_FROM = allowedIntoTask('in_progress');
const MAX_BATCH = 64;
const MAX_CONCURRENT_BATCHES = 2;

export interface StepStarterDependencies {
  pool: pg.Pool;
  transitions: TransitionService;
  logger: Logger;
}

/**
 * The executor's common claim — a pending step whose parents are done — for every job fetched at
 * about the same time in one statement (`tasker_start_step` per job). `start` resolves undefined
 * when the general path must decide (retries, abandoned attempts, settled or missing steps) or the
 * batch failed (a deadlock, say); nothing was written for that job then.
 */
export class StepStarter {
  private readonly batcher = new CoalescingBatcher<StepJob, ClaimedStep | undefined>(
    (jobs) => this.startBatch(jobs),
    { maxBatchSize: MAX_BATCH, maxConcurrentBatches: MAX_CONCURRENT_BATCHES },
  );

  constructor(private readonly deps: StepStarterDependencies) {}

  start(job: StepJob): Promise<ClaimedStep | undefined> {
    return this.batcher.submit(job);
  }

  private async startBatch(jobs: StepJob[]): Promise<Array<ClaimedStep | undefined>> {
    const claims = jobs.map((job) => ({
      // Job data is JSON written by this engine; coerce anyway so a string id can never slip through.
      taskId: Number(job.data.taskId),
      stepId: Number(job.data.stepId),
      jobId: job.id,
    }));
    // Two jobs for one step (rare) are left to the general path, which serialises them.
    const counts = new Map<number, number>();
    for (const claim of claims) counts.set(claim.stepId, (counts.get(claim.stepId) ?? 0) + 1);
    const batched = claims.filter((claim) => counts.get(claim.stepId) === 1);
    let rows: StartedStepRow[];
    try {
      rows =
        batched.length > 0 ? await startSteps(this.deps.pool, batched, START_STEP_FROM, START_TASK_FROM) : [];
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'A batch of step claims failed; claiming each on its own');
      return jobs.map(() => undefined);
    }
    const byStep = new Map(rows.map((row) => [row.stepId, row]));
    return jobs.map((job, index) => {
      const row = counts.get(claims[index].stepId) === 1 ? byStep.get(claims[index].stepId) : undefined;
      // The claim committed with its statement: its transitions are announced at once.
      return row?.started
        ? claimedFromStart(this.deps.transitions, (publish) => publish(), job, row)
        : undefined;
    });
  }
}

/**
 * The executor's view of a step `tasker_start_step` started for `job`; its transitions (the step's
 * and, for a task's first step, the task's) are announced through `afterCommit`. `ancestors` stands
 * in for the row's when the claim named a known parent (the row's are null then); it is kept, not copied.
 */
export function claimedFromStart(
  transitions: TransitionService,
  afterCommit: AfterCommit,
  job: StepJob,
  row: StartedStepRow,
  ancestors?: Map<string, JsonValue>,
): ClaimedStep {
  const attempt = row.attempts + 1;
  transitions.announceStep(
    afterCommit,
    {
      taskId: row.taskId,
      namespace: row.namespace,
      taskName: row.taskName,
      version: row.version,
      stepId: row.stepId,
      stepName: row.stepName,
      attempts: row.attempts,
      retryLimit: row.retryLimit,
      fromState: row.stepState,
      transitionedAt: row.stepTransitionedAt,
    },
    'in_progress',
    { attempt_number: attempt, job_id: job.id },
  );
  if (row.taskTransitionedAt) {
    transitions.announceTask(
      afterCommit,
      {
        taskId: row.taskId,
        name: row.taskName,
        namespace: row.namespace,
        version: row.version,
        fromState: 'pending',
        toState: 'in_progress',
        at: row.taskTransitionedAt,
      },
      {},
    );
  }
  return {
    row,
    attempt,
    ancestors:
      row.ancestors === null && ancestors
        ? ancestors
        : new Map((row.ancestors ?? []).map((a) => [a.name, (a.results ?? null) as JsonValue])),
  };
}
