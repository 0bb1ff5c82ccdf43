import type { Queryable } from '../pool';

interface TransitionRecord {
  fromState: string | null;
  toState: string;
  metadata: Record<string, unknown>;
  sortKey: number;
  mostRecent: boolean;
  createdAt: Date;
}

export interface TaskTransitionRecord extends TransitionRecord {
  taskId: number;
}

export interface StepTransitionRecord extends TransitionRecord {
  workflowStepId: number;
}

const TRANSITION_COLUMNS = `tr.from_state AS "fromState", tr.to_state AS "toState", tr.metadata,
       tr.sort_key AS "sortKey", tr.most_recent AS "mostRecent", tr.created_at AS "createdAt"`;

/** The audit trail of the given tasks, oldest transition first. */
export async function findTaskTransitions(
  db: Queryable,
  taskIds: readonly number[],
): Promise<TaskTransitionRecord[]> {
  const { rows } = await db.query<TaskTransitionRecord>(
    `SELECT tr.task_id AS "taskId", ${TRANSITION_COLUMNS}
       FROM tasker_task_transitions tr
      WHERE tr.task_id = ANY ($1::bigint[])
      ORDER BY tr.task_id, tr.sort_key`,
    [taskIds],
  );
  return rows;
}

/** The audit trail of the given steps, oldest transition first. */
export async function findStepTransitions(
  db: Queryable,
  stepIds: readonly number[],
): Promise<StepTransitionRecord[]> {
  const { rows } = await db.query<StepTransitionRecord>(
    `SELECT tr.workflow_step_id AS "workflowStepId", ${TRANSITION_COLUMNS}
       FROM tasker_workflow_step_transitions tr
      WHERE tr.workflow_step_id = ANY ($1::bigint[])
      ORDER BY tr.workflow_step_id, tr.sort_key`,
    [stepIds],
  );
  return rows;
}
