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

/** Everything `tasker_create_task` writes for one task. */
export interface NewTaskRows {
  task: NewTaskRow;
  steps: readonly NewStepRow[];
  /** 0-based positions in `steps`. */
  edges: ReadonlyArray<{ from: number; to: number }>;
  createdMetadata: Record<string, unknown>;
}

/**
 * `tasker_create_task` for several tasks in one statement (in order, so a later task with the same identity
 * conflicts with the earlier one): each task, its steps, their edges and its first transition. The created rows
 * by position in `tasks`; a position is missing when a task with the same identity hash exists already.
 */
export async function createTasksRows(
  db: Queryable,
  tasks: readonly NewTaskRows[],
): Promise<Map<number, CreatedTaskRow>> {
  const { rows } = await db.query<CreatedTaskRow & { position: number }>(
    `SELECT c.position, r.task_id AS "taskId", r.created_at AS "createdAt", r.updated_at AS "updatedAt",
            r.step_ids AS "stepIds", r.transitioned_at AS "transitionedAt"
       FROM (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
               position integer, named_task_id integer, requested_at timestamptz, initiator text,
               source_system text, reason text, bypass_steps jsonb, tags jsonb, context jsonb, identity_hash text,
               trace_context jsonb, named_step_ids integer[], retryable boolean[], retry_limits integer[],
               skippable boolean[], timeout_seconds integer[], in_process boolean[], edge_from integer[],
               edge_to integer[], created_metadata jsonb)
              ORDER BY x.position) c
      CROSS JOIN LATERAL tasker_create_task(
        c.named_task_id, c.requested_at, c.initiator, c.source_system, c.reason, c.bypass_steps, c.tags,
        c.context, c.identity_hash, c.trace_context, c.named_step_ids, c.retryable, c.retry_limits, c.skippable,
        c.timeout_seconds, c.in_process, c.edge_from, c.edge_to, c.created_metadata) r`,
    [
      JSON.stringify(
        tasks.map(({ task, steps, edges, createdMetadata }, position) => ({
          position,
          named_task_id: task.namedTaskId,
          requested_at: task.requestedAt,
          initiator: task.initiator,
          source_system: task.sourceSystem,
          reason: task.reason,
          bypass_steps: task.bypassSteps,
          tags: task.tags,
          context: task.context,
          identity_hash: task.identityHash,
          trace_context: task.traceContext,
          named_step_ids: steps.map((s) => s.namedStepId),
          retryable: steps.map((s) => s.retryable),
          retry_limits: steps.map((s) => s.retryLimit),
          skippable: steps.map((s) => s.skippable),
          timeout_seconds: steps.map((s) => s.timeoutSeconds),
          in_process: steps.map((s) => s.inProcess),
          edge_from: edges.map((e) => e.from + 1),
          edge_to: edges.map((e) => e.to + 1),
          created_metadata: createdMetadata,
        })),
      ),
    ],
  );
  return new Map(rows.map(({ position, ...row }) => [position, row]));
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
