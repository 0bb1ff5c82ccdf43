import type { Queryable } from '../pool';

export interface TaskTransitionRow {
  fromState: string | null;
  applied: boolean;
  refusal: string | null;
  transitionedAt: Date | null;
  taskName: string;
  namespace: string;
  version: string;
}

/**
 * Runs `tasker_transition_task`: lock, check, flip most_recent, append (and set tasks.complete) in
 * one round trip. `initial` writes a new task's first row (none → to, sort key 0). Undefined when
 * the task does not exist.
 */
export async function transitionTaskRow(
  db: Queryable,
  taskId: number,
  toState: string,
  allowedFrom: readonly string[],
  metadata: Record<string, unknown>,
  initial = false,
): Promise<TaskTransitionRow | undefined> {
  const { rows } = await db.query<TaskTransitionRow>(
    `SELECT from_state AS "fromState", applied, refusal, transitioned_at AS "transitionedAt",
            task_name AS "taskName", namespace, version
       FROM tasker_transition_task($1, $2, $3::text[], $4::jsonb, $5)`,
    [taskId, toState, allowedFrom, JSON.stringify(metadata), initial],
  );
  return rows[0];
}

export interface StepTransitionRow {
  stepId: number;
  taskId: number;
  namespace: string;
  taskName: string;
  version: string;
  stepName: string;
  attempts: number;
  retryLimit: number;
  fromState: string;
  applied: boolean;
  refusal: string | null;
  transitionedAt: Date | null;
}

/** Runs `tasker_transition_steps`: one row per step that exists, applied or refused. */
export async function transitionStepRows(
  db: Queryable,
  stepIds: readonly number[],
  toState: string,
  allowedFrom: readonly string[],
  checkParents: boolean,
  metadata: Record<string, unknown>,
): Promise<StepTransitionRow[]> {
  const { rows } = await db.query<StepTransitionRow>(
    `SELECT s.workflow_step_id AS "stepId", s.task_id AS "taskId", s.namespace, nt.name AS "taskName",
            nt.version, s.step_name AS "stepName", s.attempts, s.retry_limit AS "retryLimit",
            s.from_state AS "fromState", s.applied, s.refusal, s.transitioned_at AS "transitionedAt"
       FROM tasker_transition_steps($1::bigint[], $2, $3::text[], $4, $5::jsonb) s
       JOIN tasker_tasks t ON t.task_id = s.task_id
       JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
      ORDER BY s.workflow_step_id`,
    [stepIds, toState, allowedFrom, checkParents, JSON.stringify(metadata)],
  );
  return rows;
}
