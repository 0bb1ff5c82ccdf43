import type pg from 'pg';
import { sleep } from './mode';

const TERMINAL = ['complete', 'error', 'cancelled', 'resolved_manually'];
const OPEN_JOB_STATES = ['created', 'retry', 'active'];
/** Where the engine keeps pg-boss's tables (its default `queueSchema`). */
const QUEUE_SCHEMA = 'tasker_pgboss';

export interface TaskOutcome {
  taskId: number;
  name: string;
  status: string;
}

export async function taskOutcomes(pool: pg.Pool, taskIds: readonly number[]): Promise<TaskOutcome[]> {
  const { rows } = await pool.query<TaskOutcome>(
    `SELECT t.task_id::int AS "taskId", nt.name, coalesce(tt.to_state, 'pending') AS status
       FROM tasker_tasks t
       JOIN tasker_named_tasks nt USING (named_task_id)
       LEFT JOIN tasker_task_transitions tt ON tt.task_id = t.task_id AND tt.most_recent
      WHERE t.task_id = ANY ($1::bigint[])`,
    [taskIds],
  );
  return rows;
}

export async function countNonTerminal(pool: pg.Pool, taskIds: readonly number[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n
       FROM tasker_tasks t
       LEFT JOIN tasker_task_transitions tt ON tt.task_id = t.task_id AND tt.most_recent
      WHERE t.task_id = ANY ($1::bigint[]) AND coalesce(tt.to_state, 'pending') <> ALL ($2::text[])`,
    [taskIds, TERMINAL],
  );
  return rows[0].n;
}

/** Waits until every task is terminal; returns how many are not when `timeoutMs` runs out. */
export async function waitForTerminal(
  pool: pg.Pool,
  taskIds: readonly number[],
  timeoutMs: number,
  onProgress?: (remaining: number) => void,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = 0;
  for (;;) {
    const remaining = await countNonTerminal(pool, taskIds);
    if (remaining === 0 || Date.now() > deadline) return remaining;
    if (onProgress && Date.now() - lastReport > 5_000) {
      onProgress(remaining);
      lastReport = Date.now();
    }
    await sleep(500);
  }
}

/** Steps with more than one transition to `complete` (the engine promises none). */
export async function stepsCompletedMoreThanOnce(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT workflow_step_id FROM tasker_workflow_step_transitions
        WHERE to_state = 'complete' GROUP BY workflow_step_id HAVING count(*) > 1) twice`,
  );
  return rows[0].n;
}

/** Non-terminal tasks with no queued, retrying or active job: nothing will ever move them. */
export async function stuckTasks(pool: pg.Pool): Promise<{ taskId: number; status: string }[]> {
  const { rows } = await pool.query<{ taskId: number; status: string }>(
    `SELECT t.task_id::int AS "taskId", coalesce(tt.to_state, 'pending') AS status
       FROM tasker_tasks t
       LEFT JOIN tasker_task_transitions tt ON tt.task_id = t.task_id AND tt.most_recent
      WHERE coalesce(tt.to_state, 'pending') <> ALL ($1::text[])
        AND NOT EXISTS (SELECT 1 FROM ${QUEUE_SCHEMA}.job j
                         WHERE j.state::text = ANY ($2::text[]) AND (j.data->>'taskId')::bigint = t.task_id)
      ORDER BY 1`,
    [TERMINAL, OPEN_JOB_STATES],
  );
  return rows;
}

/** Steps whose current state is `in_progress` while no open job holds them. */
export async function inProgressStepsWithoutJob(pool: pg.Pool): Promise<number[]> {
  const { rows } = await pool.query<{ stepId: number }>(
    `SELECT ws.workflow_step_id::int AS "stepId"
       FROM tasker_workflow_steps ws
       JOIN tasker_workflow_step_transitions st
         ON st.workflow_step_id = ws.workflow_step_id AND st.most_recent AND st.to_state = 'in_progress'
      WHERE NOT EXISTS (SELECT 1 FROM ${QUEUE_SCHEMA}.job j
                         WHERE j.state::text = ANY ($1::text[])
                           AND (j.data->>'stepId')::bigint = ws.workflow_step_id)
      ORDER BY 1`,
    [OPEN_JOB_STATES],
  );
  return rows.map((row) => row.stepId);
}

export interface ExecutionFigures {
  handlerExecutions: number;
  stepsExecuted: number;
  /** Steps (not failing on purpose) whose handler ran more than once: at-least-once re-executions. */
  stepsExecutedMoreThanOnce: number;
  /** Executions beyond the first of those steps. */
  duplicateExecutions: number;
  maxExecutionsOfOneStep: number;
  /** Two executions that were handed the same attempt number: two claims of one attempt (must be 0). */
  sameAttemptExecutedTwice: number;
  /** Steps recorded complete whose handler never recorded a run (must be 0). */
  completedWithoutExecution: number;
}

/** Handler executions per step, from the side table the fixture handlers write. */
export async function executionFigures(
  pool: pg.Pool,
  intentionallyFailing: Record<string, string[]>,
): Promise<ExecutionFigures> {
  const { rows } = await pool.query<{ taskName: string; stepName: string; runs: number; attempts: number }>(
    `SELECT nt.name AS "taskName", r.step_name AS "stepName", count(*)::int AS runs,
            count(DISTINCT r.attempt)::int AS attempts
       FROM stress_handler_runs r
       JOIN tasker_tasks t USING (task_id)
       JOIN tasker_named_tasks nt USING (named_task_id)
      GROUP BY r.step_id, nt.name, r.step_name`,
  );
  const { rows: unexecuted } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n
       FROM tasker_workflow_steps ws
       JOIN tasker_workflow_step_transitions st
         ON st.workflow_step_id = ws.workflow_step_id AND st.most_recent AND st.to_state = 'complete'
      WHERE NOT EXISTS (SELECT 1 FROM stress_handler_runs r WHERE r.step_id = ws.workflow_step_id)`,
  );
  const ordinary = rows.filter((row) => !(intentionallyFailing[row.taskName] ?? []).includes(row.stepName));
  const repeated = ordinary.filter((row) => row.runs > 1);
  return {
    handlerExecutions: rows.reduce((sum, row) => sum + row.runs, 0),
    stepsExecuted: rows.length,
    stepsExecutedMoreThanOnce: repeated.length,
    duplicateExecutions: repeated.reduce((sum, row) => sum + row.runs - 1, 0),
    maxExecutionsOfOneStep: rows.reduce((max, row) => Math.max(max, row.runs), 0),
    sameAttemptExecutedTwice: rows.reduce((sum, row) => sum + row.runs - row.attempts, 0),
    completedWithoutExecution: unexecuted[0].n,
  };
}

/** Tasks whose terminal state differs from what their workflow must end in. */
export function wrongOutcomes(
  outcomes: readonly TaskOutcome[],
  expected: Record<string, string>,
): TaskOutcome[] {
  return outcomes.filter((o) => TERMINAL.includes(o.status) && o.status !== expected[o.name]);
}

export async function totalStepCount(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tasker_workflow_steps');
  return rows[0].n;
}

/** Tasks not yet terminal, all of them (the backlog). */
export async function backlogSize(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n
       FROM tasker_tasks t
       LEFT JOIN tasker_task_transitions tt ON tt.task_id = t.task_id AND tt.most_recent
      WHERE coalesce(tt.to_state, 'pending') <> ALL ($1::text[])`,
    [TERMINAL],
  );
  return rows[0].n;
}

/**
 * Tasks that ended in `error` only because a step ran out of attempts to crashes: every failed
 * attempt of the failing step was recorded as "the worker running this attempt stopped" (the
 * engine counts an attempt lost with its worker against the step's retry limit).
 */
export async function tasksFailedByCrashesOnly(pool: pg.Pool, taskIds: readonly number[]): Promise<number[]> {
  const { rows } = await pool.query<{ taskId: number }>(
    `SELECT DISTINCT ws.task_id::int AS "taskId"
       FROM tasker_workflow_steps ws
       JOIN tasker_workflow_step_transitions cur
         ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent AND cur.to_state = 'error'
      WHERE ws.task_id = ANY ($1::bigint[])
        AND NOT EXISTS (SELECT 1 FROM tasker_workflow_step_transitions e
                         WHERE e.workflow_step_id = ws.workflow_step_id AND e.to_state = 'error'
                           AND coalesce(e.metadata->>'error_message', '') NOT LIKE 'The worker running this attempt stopped%')
      ORDER BY 1`,
    [taskIds],
  );
  return rows.map((row) => row.taskId);
}
