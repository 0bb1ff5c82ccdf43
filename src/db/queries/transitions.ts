import type { Queryable } from '../pool';
import { TASK_DEFINITION_JOINS } from './fragments';

export interface LockedTask {
  taskId: number;
  name: string;
  namespace: string;
  version: string;
  currentState: string | null;
  sortKey: number | null;
}

/**
 * Locks the task row (FOR UPDATE), then reads its current state and latest sort key. The read is a
 * separate statement on purpose: under READ COMMITTED a statement that waited for the lock still
 * sees joined rows as of its own start, so it could miss the transition the lock holder just wrote.
 */
export async function lockTaskForTransition(db: Queryable, taskId: number): Promise<LockedTask | undefined> {
  const locked = await db.query('SELECT 1 FROM tasker_tasks WHERE task_id = $1 FOR UPDATE', [taskId]);
  if (locked.rowCount === 0) return undefined;
  const { rows } = await db.query<LockedTask>(
    `SELECT t.task_id AS "taskId", nt.name, ns.name AS namespace, nt.version,
            cur.to_state AS "currentState", cur.sort_key AS "sortKey"
       FROM tasker_tasks t ${TASK_DEFINITION_JOINS}
       LEFT JOIN tasker_task_transitions cur ON cur.task_id = t.task_id AND cur.most_recent
      WHERE t.task_id = $1`,
    [taskId],
  );
  return rows[0];
}

export async function countStepsNotDone(db: Queryable, taskId: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*) AS n
       FROM tasker_workflow_steps ws
       LEFT JOIN tasker_workflow_step_transitions cur ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
      WHERE ws.task_id = $1 AND COALESCE(cur.to_state, 'pending') NOT IN ('complete', 'resolved_manually')`,
    [taskId],
  );
  return rows[0].n;
}

export interface NewTransition {
  parentId: number;
  toState: string;
  fromState: string | null;
  metadata: Record<string, unknown>;
  sortKey: number;
}

export interface InsertedTransition {
  id: number;
  parentId: number;
  createdAt: Date;
}

const TRANSITION_TABLES = {
  task: { table: 'tasker_task_transitions', parent: 'task_id' },
  step: { table: 'tasker_workflow_step_transitions', parent: 'workflow_step_id' },
} as const;

/** Clears `most_recent` on the parents' current rows and appends the new rows (the caller holds the row locks). */
export async function appendTransitions(
  db: Queryable,
  entity: keyof typeof TRANSITION_TABLES,
  transitions: readonly NewTransition[],
): Promise<InsertedTransition[]> {
  const { table, parent } = TRANSITION_TABLES[entity];
  const parentIds = transitions.map((t) => t.parentId);
  await db.query(
    `UPDATE ${table} SET most_recent = false, updated_at = now() WHERE ${parent} = ANY ($1::bigint[]) AND most_recent`,
    [parentIds],
  );
  const { rows } = await db.query<InsertedTransition>(
    `INSERT INTO ${table} (${parent}, to_state, from_state, metadata, sort_key, most_recent)
     SELECT * , true FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[], $5::int[])
     RETURNING id, ${parent} AS "parentId", created_at AS "createdAt"`,
    [
      parentIds,
      transitions.map((t) => t.toState),
      transitions.map((t) => t.fromState),
      transitions.map((t) => JSON.stringify(t.metadata)),
      transitions.map((t) => t.sortKey),
    ],
  );
  return rows;
}

export async function markTaskComplete(db: Queryable, taskId: number): Promise<void> {
  await db.query('UPDATE tasker_tasks SET complete = true, updated_at = now() WHERE task_id = $1', [taskId]);
}

export interface LockedStep {
  stepId: number;
  taskId: number;
  name: string;
  attempts: number;
  retryLimit: number;
  currentState: string | null;
  sortKey: number | null;
}

/** Locks the step rows (in id order, so concurrent callers cannot deadlock) and reads their current state. */
export async function lockStepsForTransition(
  db: Queryable,
  stepIds: readonly number[],
): Promise<LockedStep[]> {
  const { rows } = await db.query<LockedStep>(
    `SELECT ws.workflow_step_id AS "stepId", ws.task_id AS "taskId", ns.name, ws.attempts, ws.retry_limit AS "retryLimit",
            cur.to_state AS "currentState", cur.sort_key AS "sortKey"
       FROM tasker_workflow_steps ws
       JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
       LEFT JOIN tasker_workflow_step_transitions cur ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
      WHERE ws.workflow_step_id = ANY ($1::bigint[])
      ORDER BY ws.workflow_step_id`,
    [stepIds],
  );
  return rows;
}

/** Of the given steps, those with at least one parent that is not complete or resolved manually. */
export async function stepsWithUnsatisfiedParents(
  db: Queryable,
  stepIds: readonly number[],
): Promise<number[]> {
  const { rows } = await db.query<{ stepId: number }>(
    `SELECT DISTINCT e.to_step_id AS "stepId"
       FROM tasker_workflow_step_edges e
       LEFT JOIN tasker_workflow_step_transitions parent ON parent.workflow_step_id = e.from_step_id AND parent.most_recent
      WHERE e.to_step_id = ANY ($1::bigint[])
        AND COALESCE(parent.to_state, 'pending') NOT IN ('complete', 'resolved_manually')`,
    [stepIds],
  );
  return rows.map((row) => row.stepId);
}
