import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/**
 * Plain-SQL seeding for the readiness / execution-context SQL tests. Every time value is a SQL
 * expression evaluated by the DATABASE clock (never the JS clock), so backoff tests cannot flake.
 */

export type StepState = 'pending' | 'in_progress' | 'complete' | 'error' | 'cancelled' | 'resolved_manually';
export type TaskState = StepState;

/** A SQL expression for a point in time on the database clock, `seconds` ago (negative = in the future). */
export function secondsAgo(seconds: number): string {
  if (!Number.isFinite(seconds)) throw new Error(`secondsAgo: not a number: ${seconds}`);
  return `(now() - make_interval(secs => ${seconds}))`;
}

export interface TaskShape {
  /** Step names; each becomes a named step (shared across tasks) and a workflow step of the new task. */
  steps: string[];
  /** `[parent, child]` pairs: the child depends on the parent. */
  edges?: Array<[string, string]>;
  /** Named task to attach the task to (created on demand in the `default` namespace). */
  taskName?: string;
}

export interface SeededTask {
  taskId: number;
  /** Workflow step ids by step name. */
  stepIds: Record<string, number>;
  /** The workflow step id of `name` (throws on unknown names, so typos fail loudly). */
  id(name: string): number;
}

const DEPENDENT_SYSTEM = 'readiness_seed';

/** Creates a task with the given steps and dependency edges (bulk statements, so 1,000-step tasks are cheap). */
export async function createTask(pool: pg.Pool, shape: TaskShape): Promise<SeededTask> {
  const { steps, edges = [], taskName = 'readiness_seed_task' } = shape;
  if (new Set(steps).size !== steps.length) throw new Error('createTask: step names must be unique');

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const {
      rows: [system],
    } = await client.query<{ id: number }>(
      `INSERT INTO tasker_dependent_systems (name) VALUES ($1)
       ON CONFLICT (name) DO UPDATE SET updated_at = now()
       RETURNING dependent_system_id AS id`,
      [DEPENDENT_SYSTEM],
    );
    const {
      rows: [namedTask],
    } = await client.query<{ id: number }>(
      `INSERT INTO tasker_named_tasks (name, task_namespace_id)
       VALUES ($1, (SELECT task_namespace_id FROM tasker_task_namespaces WHERE name = 'default'))
       ON CONFLICT (task_namespace_id, name, version) DO UPDATE SET updated_at = now()
       RETURNING named_task_id AS id`,
      [taskName],
    );
    const {
      rows: [task],
    } = await client.query<{ id: number }>(
      `INSERT INTO tasker_tasks (named_task_id, identity_hash, context)
       VALUES ($1, $2, '{"seeded": true}'::jsonb)
       RETURNING task_id AS id`,
      [namedTask.id, randomUUID()],
    );

    let stepIds: Record<string, number> = {};
    if (steps.length > 0) {
      await client.query(
        `INSERT INTO tasker_named_steps (dependent_system_id, name)
         SELECT $1, n FROM unnest($2::text[]) AS n
         ON CONFLICT (dependent_system_id, name) DO NOTHING`,
        [system.id, steps],
      );
      // Insert in the order given, so workflow_step_id order follows the description.
      const { rows } = await client.query<{ name: string; id: number }>(
        `WITH wanted AS (
           SELECT n AS name, ord FROM unnest($3::text[]) WITH ORDINALITY AS w(n, ord)
         ),
         inserted AS (
           INSERT INTO tasker_workflow_steps (task_id, named_step_id, inputs)
           SELECT $1, ns.named_step_id, '{}'::jsonb
           FROM wanted w
           JOIN tasker_named_steps ns ON ns.dependent_system_id = $2 AND ns.name = w.name
           ORDER BY w.ord
           RETURNING workflow_step_id, named_step_id
         )
         SELECT ns.name, i.workflow_step_id AS id
         FROM inserted i JOIN tasker_named_steps ns ON ns.named_step_id = i.named_step_id`,
        [task.id, system.id, steps],
      );
      stepIds = Object.fromEntries(rows.map((row) => [row.name, row.id]));
    }

    if (edges.length > 0) {
      const lookup = (name: string): number => {
        const found = stepIds[name];
        if (found === undefined) throw new Error(`createTask: edge refers to unknown step "${name}"`);
        return found;
      };
      await client.query(
        `INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id, name)
         SELECT f, t, 'provides' FROM unnest($1::bigint[], $2::bigint[]) AS e(f, t)`,
        [edges.map(([from]) => lookup(from)), edges.map(([, to]) => lookup(to))],
      );
    }
    await client.query('COMMIT');

    return {
      taskId: task.id,
      stepIds,
      id(name: string): number {
        const found = stepIds[name];
        if (found === undefined) throw new Error(`Unknown step "${name}" in task ${task.id}`);
        return found;
      },
    };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

export interface TransitionOptions {
  /** SQL expression for the transition's created_at (database clock), e.g. `secondsAgo(3)`; default now(). */
  at?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Moves one or many steps to `state` the way the state machine does: the previous current row is
 * flipped to most_recent = false and a new row is inserted with sort_key = previous max + 10 and
 * from_state = the previous state (NULL for the first transition).
 */
export async function setStepState(
  pool: pg.Pool,
  stepIds: number | number[],
  state: StepState,
  options: TransitionOptions = {},
): Promise<void> {
  await insertTransitions(
    pool,
    'tasker_workflow_step_transitions',
    'workflow_step_id',
    stepIds,
    state,
    options,
  );
}

/** Same as setStepState for a task's own state machine. */
export async function setTaskState(
  pool: pg.Pool,
  taskId: number,
  state: TaskState,
  options: TransitionOptions = {},
): Promise<void> {
  await insertTransitions(pool, 'tasker_task_transitions', 'task_id', taskId, state, options);
}

async function insertTransitions(
  pool: pg.Pool,
  table: 'tasker_workflow_step_transitions' | 'tasker_task_transitions',
  owner: 'workflow_step_id' | 'task_id',
  ids: number | number[],
  state: StepState,
  { at = 'now()', metadata = {} }: TransitionOptions,
): Promise<void> {
  const idList = Array.isArray(ids) ? ids : [ids];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `UPDATE ${table} SET most_recent = false, updated_at = now()
       WHERE ${owner} = ANY ($1::bigint[]) AND most_recent`,
      [idList],
    );
    await client.query(
      `INSERT INTO ${table} (${owner}, to_state, from_state, metadata, sort_key, most_recent, created_at, updated_at)
       SELECT o.id, $2, prev.to_state, $3::jsonb, COALESCE(prev.sort_key, 0) + 10, true, ${at}, ${at}
       FROM unnest($1::bigint[]) AS o(id)
       LEFT JOIN LATERAL (
         SELECT t.to_state, t.sort_key FROM ${table} t
         WHERE t.${owner} = o.id ORDER BY t.sort_key DESC LIMIT 1
       ) prev ON true`,
      [idList, state, JSON.stringify(metadata)],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

export interface StepColumns {
  attempts?: number;
  retry_limit?: number;
  retryable?: boolean;
  processed?: boolean;
  in_process?: boolean;
  backoff_request_seconds?: number | null;
  /** SQL expression on the database clock (e.g. `'now()'`, `secondsAgo(5)`), or null. */
  last_attempted_at?: string | null;
}

const VALUE_COLUMNS = [
  'attempts',
  'retry_limit',
  'retryable',
  'processed',
  'in_process',
  'backoff_request_seconds',
] as const;

/** Updates the given columns of one or many steps. */
export async function updateStep(
  pool: pg.Pool,
  stepIds: number | number[],
  columns: StepColumns,
): Promise<void> {
  const params: unknown[] = [Array.isArray(stepIds) ? stepIds : [stepIds]];
  const assignments: string[] = [];
  for (const column of VALUE_COLUMNS) {
    if (columns[column] !== undefined) {
      params.push(columns[column]);
      assignments.push(`${column} = $${params.length}`);
    }
  }
  if (columns.last_attempted_at !== undefined) {
    assignments.push(`last_attempted_at = ${columns.last_attempted_at ?? 'NULL'}`);
  }
  if (assignments.length === 0) throw new Error('updateStep: nothing to update');
  await pool.query(
    `UPDATE tasker_workflow_steps SET ${assignments.join(', ')}, updated_at = now()
     WHERE workflow_step_id = ANY ($1::bigint[])`,
    params,
  );
}
