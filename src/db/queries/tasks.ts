import type { Queryable } from '../pool';

export interface NewTaskRow {
  namedTaskId: number;
  requestedAt: Date;
  initiator: string;
  sourceSystem: string;
  reason: string;
  bypassSteps: string[];
  tags: string[];
  context: unknown;
  identityHash: string;
  /** W3C trace context carrier of the span that created the task; null when not traced. */
  traceContext: Record<string, string> | null;
}

export interface InsertedTaskRow {
  taskId: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Inserts the task unless its identity hash exists already (then returns undefined). */
export async function insertTaskUnlessDuplicate(
  db: Queryable,
  task: NewTaskRow,
): Promise<InsertedTaskRow | undefined> {
  const { rows } = await db.query<InsertedTaskRow>(
    `INSERT INTO tasker_tasks (named_task_id, requested_at, initiator, source_system, reason, bypass_steps, tags, context, identity_hash, trace_context)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (identity_hash) DO NOTHING
     RETURNING task_id AS "taskId", created_at AS "createdAt", updated_at AS "updatedAt"`,
    [
      task.namedTaskId,
      task.requestedAt,
      task.initiator,
      task.sourceSystem,
      task.reason,
      JSON.stringify(task.bypassSteps),
      JSON.stringify(task.tags),
      JSON.stringify(task.context),
      task.identityHash,
      task.traceContext && JSON.stringify(task.traceContext),
    ],
  );
  return rows[0];
}

export interface NewStepRow {
  namedStepId: number;
  retryable: boolean;
  retryLimit: number;
  skippable: boolean;
  timeoutSeconds: number | null;
  /** True when the step gets its job in the same transaction. */
  inProcess: boolean;
}

/** Inserts the steps of a task; returns their ids in the same order as `steps`. */
export async function insertSteps(
  db: Queryable,
  taskId: number,
  steps: readonly NewStepRow[],
): Promise<number[]> {
  const { rows } = await db.query<{ id: number; namedStepId: number }>(
    `INSERT INTO tasker_workflow_steps (task_id, named_step_id, retryable, retry_limit, skippable, timeout_seconds, in_process)
     SELECT $1::bigint, * FROM unnest($2::int[], $3::bool[], $4::int[], $5::bool[], $6::int[], $7::bool[])
     RETURNING workflow_step_id AS id, named_step_id AS "namedStepId"`,
    [
      taskId,
      steps.map((s) => s.namedStepId),
      steps.map((s) => s.retryable),
      steps.map((s) => s.retryLimit),
      steps.map((s) => s.skippable),
      steps.map((s) => s.timeoutSeconds),
      steps.map((s) => s.inProcess),
    ],
  );
  const idByNamedStep = new Map(rows.map((row) => [row.namedStepId, row.id]));
  return steps.map((s) => idByNamedStep.get(s.namedStepId) as number);
}

export async function insertEdges(
  db: Queryable,
  edges: ReadonlyArray<{ fromStepId: number; toStepId: number }>,
): Promise<void> {
  if (edges.length === 0) return;
  await db.query(
    `INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id, name)
     SELECT f, t, 'provides' FROM unnest($1::bigint[], $2::bigint[]) AS e(f, t)`,
    [edges.map((e) => e.fromStepId), edges.map((e) => e.toStepId)],
  );
}

export interface TaskTraceRow {
  traceContext: Record<string, string> | null;
  createdAt: Date;
}

/** The trace context stored with a task, and when the task was created. */
export async function findTaskTrace(db: Queryable, taskId: number): Promise<TaskTraceRow | undefined> {
  const { rows } = await db.query<TaskTraceRow>(
    `SELECT trace_context AS "traceContext", created_at AS "createdAt" FROM tasker_tasks WHERE task_id = $1`,
    [taskId],
  );
  return rows[0];
}
