import type { WorkflowStep } from '../../interfaces';
import type { Queryable } from '../pool';
import { TASK_DEFINITION_JOINS } from './fragments';

export interface TaskRow {
  taskId: number;
  name: string;
  namespace: string;
  version: string;
  status: string;
  complete: boolean;
  requestedAt: Date;
  initiator: string | null;
  sourceSystem: string | null;
  reason: string | null;
  tags: string[];
  bypassSteps: string[];
  context: Record<string, unknown>;
  identityHash: string;
  createdAt: Date;
  updatedAt: Date;
}

const TASK_COLUMNS = `t.task_id AS "taskId", nt.name, ns.name AS namespace, nt.version,
       COALESCE(cur.to_state, 'pending') AS status, t.complete, t.requested_at AS "requestedAt",
       t.initiator, t.source_system AS "sourceSystem", t.reason, t.tags, t.bypass_steps AS "bypassSteps",
       t.context, t.identity_hash AS "identityHash", t.created_at AS "createdAt", t.updated_at AS "updatedAt"`;
const TASK_FROM = `tasker_tasks t ${TASK_DEFINITION_JOINS}
       LEFT JOIN LATERAL (SELECT cur_t.to_state, cur_t.created_at, cur_t.sort_key FROM tasker_task_transitions cur_t WHERE cur_t.task_id = t.task_id AND cur_t.most_recent LIMIT 1) cur ON true`;

export async function findTask(db: Queryable, taskId: number): Promise<TaskRow | undefined> {
  const { rows } = await db.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM ${TASK_FROM} WHERE t.task_id = $1`, [
    taskId,
  ]);
  return rows[0];
}

export async function findTasksByIds(db: Queryable, taskIds: readonly number[]): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(
    `SELECT ${TASK_COLUMNS} FROM ${TASK_FROM} WHERE t.task_id = ANY ($1::bigint[]) ORDER BY t.task_id`,
    [taskIds],
  );
  return rows;
}

/** Columns a task list may be sorted by, mapped to SQL (an allow-list: never interpolate user input). */
export const TASK_SORT_COLUMNS = {
  task_id: 't.task_id',
  created_at: 't.created_at',
  updated_at: 't.updated_at',
  requested_at: 't.requested_at',
  name: 'nt.name',
  namespace: 'ns.name',
  version: 'nt.version',
  status: "COALESCE(cur.to_state, 'pending')",
  initiator: 't.initiator',
  source_system: 't.source_system',
  reason: 't.reason',
  complete: 't.complete',
} as const;

export type TaskSortColumn = keyof typeof TASK_SORT_COLUMNS;

export interface TaskListFilter {
  namespace?: string;
  name?: string;
  version?: string;
  status?: string;
  limit: number;
  offset: number;
  sortBy: TaskSortColumn;
  sortOrder: 'asc' | 'desc';
}

export async function findTasks(
  db: Queryable,
  filter: TaskListFilter,
): Promise<{ rows: TaskRow[]; total: number }> {
  const where = `($1::text IS NULL OR ns.name = $1) AND ($2::text IS NULL OR nt.name = $2)
     AND ($3::text IS NULL OR nt.version = $3) AND ($4::text IS NULL OR COALESCE(cur.to_state, 'pending') = $4)`;
  const values = [
    filter.namespace ?? null,
    filter.name ?? null,
    filter.version ?? null,
    filter.status ?? null,
  ];
  const order = `${TASK_SORT_COLUMNS[filter.sortBy]} ${filter.sortOrder === 'desc' ? 'DESC' : 'ASC'}, t.task_id ASC`;
  const [{ rows }, count] = await Promise.all([
    db.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM ${TASK_FROM} WHERE ${where} ORDER BY ${order} LIMIT $5 OFFSET $6`,
      [...values, filter.limit, filter.offset],
    ),
    db.query<{ total: number }>(`SELECT count(*) AS total FROM ${TASK_FROM} WHERE ${where}`, values),
  ]);
  return { rows, total: count.rows[0].total };
}

/** A step as read from the database, before its state and JSON columns are typed. */
export type StepRow = Omit<WorkflowStep, 'status' | 'inputs' | 'results'> & {
  status: string;
  inputs: Record<string, unknown> | null;
  results: unknown;
};

/** The steps of the given tasks (one query however many tasks), in task then step order. */
export async function findSteps(db: Queryable, taskIds: readonly number[]): Promise<StepRow[]> {
  const { rows } = await db.query<StepRow>(
    `SELECT ws.workflow_step_id AS "workflowStepId", ws.task_id AS "taskId", ns.name,
            ws.named_step_id AS "namedStepId", COALESCE(cur.to_state, 'pending') AS status,
            COALESCE(parents.names, '{}') AS "dependsOn",
            COALESCE(parents.ids, '{}') AS "parentIds",
            COALESCE((SELECT array_agg(e.to_step_id ORDER BY e.to_step_id) FROM tasker_workflow_step_edges e
                       WHERE e.from_step_id = ws.workflow_step_id), '{}') AS "childIds",
            ws.retryable, ws.retry_limit AS "retryLimit", ws.attempts, ws.in_process AS "inProcess",
            ws.processed, ws.processed_at AS "processedAt", ws.last_attempted_at AS "lastAttemptedAt",
            ws.backoff_request_seconds AS "backoffRequestSeconds", ws.inputs, ws.results, ws.skippable,
            ws.timeout_seconds AS "timeoutSeconds", ws.created_at AS "createdAt", ws.updated_at AS "updatedAt"
       FROM tasker_workflow_steps ws
       JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
       LEFT JOIN LATERAL (SELECT cur_t.to_state, cur_t.created_at, cur_t.sort_key FROM tasker_workflow_step_transitions cur_t WHERE cur_t.workflow_step_id = ws.workflow_step_id AND cur_t.most_recent LIMIT 1) cur ON true
       LEFT JOIN LATERAL (
         SELECT array_agg(pns.name::text ORDER BY e.from_step_id) AS names,
                array_agg(e.from_step_id ORDER BY e.from_step_id) AS ids
           FROM tasker_workflow_step_edges e
           JOIN tasker_workflow_steps p ON p.workflow_step_id = e.from_step_id
           JOIN tasker_named_steps pns ON pns.named_step_id = p.named_step_id
          WHERE e.to_step_id = ws.workflow_step_id
       ) parents ON true
      WHERE ws.task_id = ANY ($1::bigint[])
      ORDER BY ws.task_id, ws.workflow_step_id`,
    [taskIds],
  );
  return rows;
}
