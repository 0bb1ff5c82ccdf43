import type { Queryable } from '../pool';
import { TASK_DEFINITION_JOINS } from './fragments';

/**
 * Locks a task row for the rest of the transaction. Recording outcomes takes `FOR NO KEY UPDATE`
 * (outcomes of one task serialise, so exactly one of them sees the join step become ready, while
 * claims, which hold `FOR KEY SHARE`, go on in parallel); operator actions (cancel, retry, resolve)
 * take `FOR UPDATE`, which also waits for claims in flight.
 */
export async function lockTask(
  db: Queryable,
  taskId: number,
  mode: 'outcome' | 'control' = 'outcome',
): Promise<boolean> {
  const strength = mode === 'control' ? 'UPDATE' : 'NO KEY UPDATE';
  const { rowCount } = await db.query(`SELECT 1 FROM tasker_tasks WHERE task_id = $1 FOR ${strength}`, [
    taskId,
  ]);
  return (rowCount ?? 0) > 0;
}

export interface ExecutionStepRow {
  taskId: number;
  taskName: string;
  namespace: string;
  version: string;
  taskState: string;
  context: Record<string, unknown>;
  tags: string[];
  stepId: number;
  stepName: string;
  stepState: string;
  attempts: number;
  retryLimit: number;
  retryable: boolean;
  inProcess: boolean;
  timeoutSeconds: number | null;
  inputs: Record<string, unknown> | null;
  nextRetryAt: Date | null;
  retryEligible: boolean;
  /** The backoff has elapsed by the database clock. */
  retryDue: boolean;
  dependenciesSatisfied: boolean;
  totalParents: number;
  /** The W3C trace context stored with the task; null when it was created untraced. */
  traceContext: Record<string, string> | null;
}

/** Locks the task (shared) and the step, and reads what claiming the step needs (`tasker_claim_step`). */
/** The ExecutionStepRow columns of a `tasker_claim_step` / `tasker_start_step` row aliased `alias`. */
function claimColumns(alias: string): string {
  return [
    'task_id AS "taskId"',
    'task_name AS "taskName"',
    'namespace',
    'version',
    'task_state AS "taskState"',
    'context',
    'tags',
    'step_id AS "stepId"',
    'step_name AS "stepName"',
    'step_state AS "stepState"',
    'attempts',
    'retry_limit AS "retryLimit"',
    'retryable',
    'in_process AS "inProcess"',
    'timeout_seconds AS "timeoutSeconds"',
    'inputs',
    'next_retry_at AS "nextRetryAt"',
    'retry_eligible AS "retryEligible"',
    'retry_due AS "retryDue"',
    'dependencies_satisfied AS "dependenciesSatisfied"',
    'total_parents AS "totalParents"',
  ]
    .map((column) => `${alias}.${column}`)
    .join(', ');
}

// Built once: these run for every step.
const CLAIM_COLUMNS = claimColumns('c');
const STARTED_COLUMNS = claimColumns('s');

export async function claimStep(
  db: Queryable,
  taskId: number,
  stepId: number,
): Promise<ExecutionStepRow | undefined> {
  // The trace context is written once, with the task, so reading it beside the claim function (in
  // this statement's snapshot rather than after the claim's locks) sees the same value.
  const { rows } = await db.query<ExecutionStepRow>(
    `SELECT ${CLAIM_COLUMNS},
            t.trace_context AS "traceContext"
       FROM tasker_claim_step($1, $2) c
       JOIN tasker_tasks t ON t.task_id = c.task_id`,
    [taskId, stepId],
  );
  return rows[0];
}

export async function markStepStarted(db: Queryable, stepId: number): Promise<void> {
  await db.query(
    `UPDATE tasker_workflow_steps SET in_process = true, last_attempted_at = now(), updated_at = now()
      WHERE workflow_step_id = $1`,
    [stepId],
  );
}

export async function setStepsInProcess(
  db: Queryable,
  stepIds: readonly number[],
  inProcess: boolean,
): Promise<void> {
  if (stepIds.length === 0) return;
  await db.query(
    `UPDATE tasker_workflow_steps SET in_process = $2, updated_at = now() WHERE workflow_step_id = ANY ($1::bigint[])`,
    [stepIds, inProcess],
  );
}

/** Records a crashed or timed-out worker's attempt as a failure. Returns the new attempt count. */
export async function recordAbandonedAttempt(db: Queryable, stepId: number): Promise<number> {
  const { rows } = await db.query<{ attempts: number }>(
    `UPDATE tasker_workflow_steps
        SET attempts = attempts + 1, last_attempted_at = now(), backoff_request_seconds = 0, updated_at = now()
      WHERE workflow_step_id = $1
      RETURNING attempts`,
    [stepId],
  );
  return rows[0].attempts;
}

export interface AncestorResult {
  name: string;
  results: unknown;
}

/** Results of every completed or manually resolved ancestor of the step. */
export async function ancestorResults(db: Queryable, stepId: number): Promise<AncestorResult[]> {
  const { rows } = await db.query<AncestorResult>(
    `SELECT a.name, a.results
       FROM jsonb_to_recordset(tasker_ancestor_results($1)) AS a(name text, results jsonb)`,
    [stepId],
  );
  return rows;
}

export interface RecordedOutcome {
  attempts: number;
  lastAttemptedAt: Date;
}

export interface StepFailureUpdate {
  stepId: number;
  /** Merged into the step's results under `_error`, so results a handler stored are kept. */
  error: Record<string, unknown>;
  /** False for a permanent failure: the step may not be retried. */
  retryable: boolean;
  /** Seconds until the retry, or null when no retry is scheduled. */
  backoffSeconds: number | null;
}

export async function recordStepFailure(db: Queryable, failure: StepFailureUpdate): Promise<RecordedOutcome> {
  const { rows } = await db.query<RecordedOutcome>(
    `UPDATE tasker_workflow_steps
        SET attempts = attempts + 1, last_attempted_at = now(), in_process = $4::numeric IS NOT NULL,
            retryable = retryable AND $3, backoff_request_seconds = $4,
            results = CASE WHEN jsonb_typeof(results) = 'object' THEN results ELSE '{}'::jsonb END
                      || jsonb_build_object('_error', $2::jsonb),
            updated_at = now()
      WHERE workflow_step_id = $1
      RETURNING attempts, last_attempted_at AS "lastAttemptedAt"`,
    [failure.stepId, JSON.stringify(failure.error), failure.retryable, failure.backoffSeconds],
  );
  return rows[0];
}

/** Marks the task's steps that may run now and have no job yet as owned by a job; returns their ids. */
export async function claimReadySteps(db: Queryable, taskId: number): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `UPDATE tasker_workflow_steps SET in_process = true, updated_at = now()
      WHERE workflow_step_id IN (
        SELECT workflow_step_id FROM get_step_readiness_status($1) WHERE ready_for_execution
      )
      RETURNING workflow_step_id AS id`,
    [taskId],
  );
  return rows.map((row) => row.id);
}

/**
 * Failed steps that will be retryable once their backoff ends but have no job to retry them (after a
 * manual change such as a raised retry limit): marks them as owned by a job; returns when each is due.
 */
export async function claimWaitingRetries(
  db: Queryable,
  taskId: number,
): Promise<Array<{ stepId: number; nextRetryAt: Date }>> {
  const { rows } = await db.query<{ stepId: number; nextRetryAt: Date }>(
    `WITH waiting AS (
       SELECT workflow_step_id, next_retry_at FROM get_step_readiness_status($1)
        WHERE current_state = 'error' AND NOT in_process AND retry_eligible AND (attempts = 0 OR retryable)
          AND dependencies_satisfied AND next_retry_at > now()
     )
     UPDATE tasker_workflow_steps ws SET in_process = true, updated_at = now()
       FROM waiting w WHERE ws.workflow_step_id = w.workflow_step_id
     RETURNING ws.workflow_step_id AS "stepId", w.next_retry_at AS "nextRetryAt"`,
    [taskId],
  );
  return rows;
}

export interface ExecutionContextRow {
  status: string;
  executionStatus: string;
  totalSteps: number;
  completedSteps: number;
  readySteps: number;
}

export async function taskExecutionContext(
  db: Queryable,
  taskId: number,
): Promise<ExecutionContextRow | undefined> {
  const { rows } = await db.query<ExecutionContextRow>(
    `SELECT status, execution_status AS "executionStatus", total_steps AS "totalSteps",
            completed_steps AS "completedSteps", ready_steps AS "readySteps"
       FROM get_task_execution_context($1)`,
    [taskId],
  );
  return rows[0];
}

export interface StepState {
  stepId: number;
  state: string;
  inProcess: boolean;
}

export async function taskStepStates(db: Queryable, taskId: number): Promise<StepState[]> {
  const { rows } = await db.query<StepState>(
    `SELECT ws.workflow_step_id AS "stepId", COALESCE(cur.to_state, 'pending') AS state, ws.in_process AS "inProcess"
       FROM tasker_workflow_steps ws
       LEFT JOIN LATERAL (SELECT cur_t.to_state, cur_t.created_at, cur_t.sort_key FROM tasker_workflow_step_transitions cur_t WHERE cur_t.workflow_step_id = ws.workflow_step_id AND cur_t.most_recent LIMIT 1) cur ON true
      WHERE ws.task_id = $1
      ORDER BY ws.workflow_step_id`,
    [taskId],
  );
  return rows;
}

/** Gives steps that can no longer run (exhausted or permanently failed) a fresh set of attempts. */
export async function resetFailedSteps(db: Queryable, taskId: number): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `UPDATE tasker_workflow_steps ws
        SET attempts = 0, backoff_request_seconds = 0, last_attempted_at = now(), in_process = false, updated_at = now()
      WHERE ws.task_id = $1
        AND EXISTS (
          SELECT 1 FROM tasker_workflow_step_transitions cur
           WHERE cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent AND cur.to_state = 'error'
        )
      RETURNING ws.workflow_step_id AS id`,
    [taskId],
  );
  return rows.map((row) => row.id);
}

export async function resolveStepData(db: Queryable, stepId: number, results: unknown): Promise<void> {
  await db.query(
    `UPDATE tasker_workflow_steps
        SET in_process = false, results = COALESCE($2::jsonb, results), updated_at = now()
      WHERE workflow_step_id = $1`,
    [stepId, results === undefined ? null : JSON.stringify(results)],
  );
}

export async function stepBelongsToTask(db: Queryable, taskId: number, stepId: number): Promise<boolean> {
  const { rowCount } = await db.query(
    'SELECT 1 FROM tasker_workflow_steps WHERE task_id = $1 AND workflow_step_id = $2',
    [taskId, stepId],
  );
  return (rowCount ?? 0) > 0;
}

export async function namespaceOfTask(db: Queryable, taskId: number): Promise<string | undefined> {
  const { rows } = await db.query<{ namespace: string }>(
    `SELECT ns.name AS namespace FROM tasker_tasks t ${TASK_DEFINITION_JOINS} WHERE t.task_id = $1`,
    [taskId],
  );
  return rows[0]?.namespace;
}

export async function updateTaskFields(
  db: Queryable,
  taskId: number,
  changes: { reason?: string; tags?: string[] },
): Promise<void> {
  await db.query(
    `UPDATE tasker_tasks SET reason = COALESCE($2, reason), tags = COALESCE($3::jsonb, tags), updated_at = now()
      WHERE task_id = $1`,
    [taskId, changes.reason ?? null, changes.tags ? JSON.stringify(changes.tags) : null],
  );
}

export async function updateStepFields(
  db: Queryable,
  stepId: number,
  changes: { retryLimit?: number; inputs?: Record<string, unknown> },
): Promise<void> {
  await db.query(
    // A new retry limit retries an exhausted step right away rather than after the fallback backoff.
    `UPDATE tasker_workflow_steps
        SET retry_limit = COALESCE($2, retry_limit), inputs = COALESCE($3::jsonb, inputs),
            backoff_request_seconds = CASE WHEN $2::int IS NULL OR in_process THEN backoff_request_seconds ELSE 0 END,
            last_attempted_at = CASE WHEN $2::int IS NULL OR in_process THEN last_attempted_at ELSE now() END,
            updated_at = now()
      WHERE workflow_step_id = $1`,
    [stepId, changes.retryLimit ?? null, changes.inputs ? JSON.stringify(changes.inputs) : null],
  );
}

/** `tasker_start_step`: the claim row, and whether the step was started in the same statement. */
export interface StartedStepRow extends ExecutionStepRow {
  started: boolean;
  stepTransitionedAt: Date | null;
  /** Set when this claim moved the task from pending to in_progress. */
  taskTransitionedAt: Date | null;
  /** The completed ancestors' results; null when the claim named the step's only parent as known. */
  ancestors: AncestorResult[] | null;
}

export interface StepClaim {
  taskId: number;
  stepId: number;
  jobId: string;
  /** A parent whose results and ancestry the caller holds (see tasker_start_step). */
  knownParentId?: number;
}

/**
 * `tasker_start_step` for several jobs in one statement: each claim starts its step when it is pending,
 * its parents done and its task running (`started`), and otherwise writes nothing. Claims run in task and
 * step id order (concurrent batches lock alike). One row per claim whose task and step exist.
 */
export async function startSteps(
  db: Queryable,
  claims: readonly StepClaim[],
  stepAllowedFrom: readonly string[],
  taskAllowedFrom: readonly string[],
): Promise<StartedStepRow[]> {
  const { rows } = await db.query<StartedStepRow>(
    `SELECT ${STARTED_COLUMNS},
            s.trace_context AS "traceContext", s.started, s.step_transitioned_at AS "stepTransitionedAt",
            s.task_transitioned_at AS "taskTransitionedAt", s.ancestors
       FROM (SELECT c.task_id, c.step_id, c.job_id, c.known_parent_id
               FROM jsonb_to_recordset($1::jsonb)
                    AS c(task_id bigint, step_id bigint, job_id text, known_parent_id bigint)
              ORDER BY c.task_id, c.step_id) c
      CROSS JOIN LATERAL tasker_start_step(c.task_id, c.step_id, c.job_id, $2::text[], $3::text[],
                                           c.known_parent_id) s`,
    [
      JSON.stringify(
        claims.map((c) => ({
          task_id: c.taskId,
          step_id: c.stepId,
          job_id: c.jobId,
          known_parent_id: c.knownParentId ?? null,
        })),
      ),
      stepAllowedFrom,
      taskAllowedFrom,
    ],
  );
  return rows;
}

/** A task transition written by `tasker_complete_step`. */
export interface FastTaskTransition {
  from: string;
  to: string;
  at: string;
  metadata: Record<string, unknown>;
}

export interface CompletedStepRow {
  attempts: number;
  retryLimit: number;
  stepName: string;
  fromState: string;
  applied: boolean;
  refusal: string | null;
  transitionedAt: Date | null;
  taskName: string | null;
  namespace: string;
  version: string | null;
  /** Children that became ready and are now owned by a job: the caller enqueues them. */
  readyIds: number[];
  /** The task may have changed in a way only the general reconciler handles. */
  reconcile: boolean;
  taskTransitions: FastTaskTransition[];
}

export interface StepSuccess {
  taskId: number;
  stepId: number;
  results: unknown;
}

/**
 * `tasker_complete_step` for several successful attempts in one statement, in task and step id order
 * (a step sees the successes recorded before it, e.g. its sibling's in a join). One row per step
 * that exists.
 */
export async function completeSteps(
  db: Queryable,
  successes: readonly StepSuccess[],
  allowedFrom: Record<string, readonly string[]>,
): Promise<Array<CompletedStepRow & { stepId: number }>> {
  const { rows } = await db.query<CompletedStepRow & { stepId: number }>(
    `SELECT c.step_id AS "stepId", s.attempts, s.retry_limit AS "retryLimit", s.step_name AS "stepName",
            s.from_state AS "fromState", s.applied, s.refusal, s.transitioned_at AS "transitionedAt",
            s.task_name AS "taskName", s.namespace, s.version, s.ready_ids AS "readyIds", s.reconcile,
            s.task_transitions AS "taskTransitions"
       FROM (SELECT c.task_id, c.step_id, c.results
               FROM jsonb_to_recordset($1::jsonb) AS c(task_id bigint, step_id bigint, results jsonb)
              ORDER BY c.task_id, c.step_id) c
      CROSS JOIN LATERAL tasker_complete_step(c.task_id, c.step_id, c.results, $2::jsonb) s`,
    [
      JSON.stringify(successes.map((s) => ({ task_id: s.taskId, step_id: s.stepId, results: s.results }))),
      JSON.stringify(allowedFrom),
    ],
  );
  return rows;
}
