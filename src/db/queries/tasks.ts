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

export interface NewStepRow {
  namedStepId: number;
  retryable: boolean;
  retryLimit: number;
  skippable: boolean;
  timeoutSeconds: number | null;
  /** Marks the step as owned by a job (the caller enqueues it in the same transaction). */
  inProcess: boolean;
}

export interface CreatedTaskRow extends InsertedTaskRow {
  /** In the order of the steps given. */
  stepIds: number[];
  /** When the task's first transition (none → pending) was written. */
  transitionedAt: Date;
}

/**
 * `tasker_create_task`: the task, its steps, their edges (0-based positions in `steps`) and its first
 * transition in one round trip. Undefined when a task with the same identity hash exists already.
 */
export async function createTaskRows(
  db: Queryable,
  task: NewTaskRow,
  steps: readonly NewStepRow[],
  edges: ReadonlyArray<{ from: number; to: number }>,
  createdMetadata: Record<string, unknown>,
): Promise<CreatedTaskRow | undefined> {
  const { rows } = await db.query<CreatedTaskRow>(
    `SELECT task_id AS "taskId", created_at AS "createdAt", updated_at AS "updatedAt", step_ids AS "stepIds",
            transitioned_at AS "transitionedAt"
       FROM tasker_create_task($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::int[], $12::bool[], $13::int[],
                               $14::bool[], $15::int[], $16::bool[], $17::int[], $18::int[], $19)`,
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
      steps.map((s) => s.namedStepId),
      steps.map((s) => s.retryable),
      steps.map((s) => s.retryLimit),
      steps.map((s) => s.skippable),
      steps.map((s) => s.timeoutSeconds),
      steps.map((s) => s.inProcess),
      edges.map((e) => e.from + 1),
      edges.map((e) => e.to + 1),
      JSON.stringify(createdMetadata),
    ],
  );
  return rows[0];
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
