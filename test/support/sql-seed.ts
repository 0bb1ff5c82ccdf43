import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/db/pool';

/** Plain-SQL seeding for tests of the SQL functions: no engine code, only rows. */

export type State = 'pending' | 'in_progress' | 'complete' | 'error' | 'cancelled' | 'resolved_manually';

export interface TaskSeed {
  namespace?: string;
  name?: string;
  version?: string;
  /** Step names, or a count (named `step_1` … `step_N`). */
  steps?: string[] | number;
  /** Dependencies as [parent, child] positions in `steps` (0-based). */
  edges?: Array<[number, number]>;
  /** Creation time of the task and its steps; the database clock when omitted. */
  createdAt?: Date;
  initiator?: string;
  sourceSystem?: string;
}

export interface SeededTask {
  taskId: number;
  /** Workflow step ids in the order of `steps`. */
  stepIds: number[];
}

export interface StepFields {
  attempts?: number;
  retryLimit?: number;
  retryable?: boolean;
  lastAttemptedAt?: Date | null;
  backoffRequestSeconds?: number | null;
}

/** The database clock now; build exact timestamps from it with `secondsBefore`. */
export async function databaseNow(db: Queryable): Promise<Date> {
  const { rows } = await db.query<{ now: Date }>('SELECT now() AS now');
  return rows[0].now;
}

export function secondsBefore(base: Date, seconds: number): Date {
  return new Date(base.getTime() - seconds * 1000);
}

function stepNames(steps: TaskSeed['steps']): string[] {
  if (Array.isArray(steps)) return steps;
  return Array.from({ length: steps ?? 0 }, (_unused, i) => `step_${i + 1}`);
}

async function namedTaskId(db: Queryable, namespace: string, name: string, version: string): Promise<number> {
  const { rows } = await db.query<{ named_task_id: number }>(
    `WITH ns AS (
       INSERT INTO tasker_task_namespaces (name) VALUES ($1)
       ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
       RETURNING task_namespace_id
     )
     INSERT INTO tasker_named_tasks (name, task_namespace_id, version)
     SELECT $2::varchar, ns.task_namespace_id, $3::varchar FROM ns
     ON CONFLICT (task_namespace_id, name, version) DO UPDATE SET name = EXCLUDED.name
     RETURNING named_task_id`,
    [namespace, name, version],
  );
  return rows[0].named_task_id;
}

/** Inserts a task with its steps and edges (named tasks, namespaces and named steps are found or created). */
export async function insertTask(db: Queryable, seed: TaskSeed = {}): Promise<SeededTask> {
  const names = stepNames(seed.steps);
  const namedTask = await namedTaskId(
    db,
    seed.namespace ?? 'default',
    seed.name ?? 'seed_task',
    seed.version ?? '0.1.0',
  );
  const createdAt = seed.createdAt ?? null;
  const { rows: tasks } = await db.query<{ task_id: number }>(
    `INSERT INTO tasker_tasks (named_task_id, identity_hash, initiator, source_system, created_at, updated_at, requested_at)
     VALUES ($1, $2, $3, $4, COALESCE($5, now()), COALESCE($5, now()), COALESCE($5, now()))
     RETURNING task_id`,
    [namedTask, randomUUID(), seed.initiator ?? 'unknown', seed.sourceSystem ?? 'unknown', createdAt],
  );
  const taskId = tasks[0].task_id;
  const { rows: steps } = await db.query<{ workflow_step_id: number }>(
    `WITH system AS (
       INSERT INTO tasker_dependent_systems (name) VALUES ('seed')
       ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
       RETURNING dependent_system_id
     ),
     wanted AS (SELECT w.name, w.position FROM unnest($2::text[]) WITH ORDINALITY AS w(name, position)),
     named AS (
       INSERT INTO tasker_named_steps (dependent_system_id, name)
       SELECT system.dependent_system_id, wanted.name FROM system, wanted
       ON CONFLICT (dependent_system_id, name) DO UPDATE SET name = EXCLUDED.name
       RETURNING named_step_id, name
     ),
     inserted AS (
       INSERT INTO tasker_workflow_steps (task_id, named_step_id, created_at, updated_at)
       SELECT $1::bigint, named.named_step_id, COALESCE($3, now()), COALESCE($3, now())
       FROM wanted JOIN named ON named.name = wanted.name
       ORDER BY wanted.position
       RETURNING workflow_step_id, named_step_id
     )
     SELECT inserted.workflow_step_id
     FROM wanted
     JOIN named ON named.name = wanted.name
     JOIN inserted ON inserted.named_step_id = named.named_step_id
     ORDER BY wanted.position`,
    [taskId, names, createdAt],
  );
  const stepIds = steps.map((step) => step.workflow_step_id);
  const edges = seed.edges ?? [];
  if (edges.length > 0) {
    await db.query(
      `INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id)
       SELECT * FROM unnest($1::bigint[], $2::bigint[])`,
      [edges.map(([parent]) => stepIds[parent]), edges.map(([, child]) => stepIds[child])],
    );
  }
  return { taskId, stepIds };
}

/**
 * Appends a transition the way the state machine does: the previous current row stops being
 * most_recent, the new row is most_recent with sort_key = previous max + 10 (0 for the first).
 */
async function appendTransition(
  db: Queryable,
  table: 'tasker_task_transitions' | 'tasker_workflow_step_transitions',
  owner: 'task_id' | 'workflow_step_id',
  id: number,
  toState: State,
  at: Date | undefined,
): Promise<void> {
  await db.query(
    `WITH previous AS (
       UPDATE ${table} SET most_recent = false WHERE ${owner} = $1 AND most_recent
       RETURNING to_state
     )
     INSERT INTO ${table} (${owner}, to_state, from_state, sort_key, most_recent, created_at, updated_at)
     SELECT $1::bigint, $2::varchar, (SELECT to_state FROM previous),
            COALESCE((SELECT max(sort_key) + 10 FROM ${table} WHERE ${owner} = $1), 0),
            true, COALESCE($3, now()), COALESCE($3, now())`,
    [id, toState, at ?? null],
  );
}

export function transitionTask(db: Queryable, taskId: number, toState: State, at?: Date): Promise<void> {
  return appendTransition(db, 'tasker_task_transitions', 'task_id', taskId, toState, at);
}

export function transitionStep(db: Queryable, stepId: number, toState: State, at?: Date): Promise<void> {
  return appendTransition(db, 'tasker_workflow_step_transitions', 'workflow_step_id', stepId, toState, at);
}

/** Walks a task or step through several states in order, each at its own time. */
export async function transitionTaskThrough(
  db: Queryable,
  taskId: number,
  history: Array<[State, Date]>,
): Promise<void> {
  for (const [state, at] of history) await transitionTask(db, taskId, state, at);
}

export async function transitionStepThrough(
  db: Queryable,
  stepId: number,
  history: Array<[State, Date]>,
): Promise<void> {
  for (const [state, at] of history) await transitionStep(db, stepId, state, at);
}

/** Sets retry bookkeeping columns of a workflow step (only the given fields change). */
export async function updateStep(db: Queryable, stepId: number, fields: StepFields): Promise<void> {
  await db.query(
    `UPDATE tasker_workflow_steps SET
       attempts = COALESCE($2, attempts),
       retry_limit = COALESCE($3, retry_limit),
       retryable = COALESCE($4, retryable),
       last_attempted_at = CASE WHEN $5 THEN $6::timestamptz ELSE last_attempted_at END,
       backoff_request_seconds = CASE WHEN $7 THEN $8::integer ELSE backoff_request_seconds END
     WHERE workflow_step_id = $1`,
    [
      stepId,
      fields.attempts ?? null,
      fields.retryLimit ?? null,
      fields.retryable ?? null,
      fields.lastAttemptedAt !== undefined,
      fields.lastAttemptedAt ?? null,
      fields.backoffRequestSeconds !== undefined,
      fields.backoffRequestSeconds ?? null,
    ],
  );
}
