import type { Queryable } from '../pool';

/**
 * Runs a find-or-create statement again when it found nothing: a row inserted by a concurrent
 * transaction that committed after our statement's snapshot is only visible to the next statement.
 */
async function firstIdWithRetry(run: () => Promise<Array<{ id: number }>>): Promise<number> {
  for (let attempt = 0; ; attempt += 1) {
    const rows = await run();
    if (rows.length > 0 || attempt === 2) return rows[0].id;
  }
}

/** Finds or creates the namespace; returns its id. Safe under concurrent callers. */
export function ensureNamespace(db: Queryable, name: string): Promise<number> {
  return firstIdWithRetry(async () => {
    const { rows } = await db.query<{ id: number }>(
      `WITH inserted AS (
       INSERT INTO tasker_task_namespaces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING task_namespace_id
     )
     SELECT task_namespace_id AS id FROM inserted
     UNION ALL
     SELECT task_namespace_id FROM tasker_task_namespaces WHERE name = $1
     LIMIT 1`,
      [name],
    );
    return rows;
  });
}

export async function ensureNamedTask(
  db: Queryable,
  task: { namespaceId: number; name: string; version: string; description: string },
): Promise<number> {
  return firstIdWithRetry(async () => {
    const { rows } = await db.query<{ id: number }>(
      `WITH inserted AS (
       INSERT INTO tasker_named_tasks (task_namespace_id, name, version, description)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (task_namespace_id, name, version) DO NOTHING
       RETURNING named_task_id
     )
     SELECT named_task_id AS id FROM inserted
     UNION ALL
     SELECT named_task_id FROM tasker_named_tasks WHERE task_namespace_id = $1 AND name = $2 AND version = $3
     LIMIT 1`,
      [task.namespaceId, task.name, task.version, task.description.slice(0, 255)],
    );
    return rows;
  });
}

export interface NamedStepSpec {
  name: string;
  description: string;
  dependentSystem: string;
  skippable: boolean;
  defaultRetryable: boolean;
  defaultRetryLimit: number;
}

/**
 * Finds or creates the dependent systems, named steps and the named task's step defaults; returns
 * the named step id for each spec, in order.
 */
export async function ensureNamedSteps(
  db: Queryable,
  namedTaskId: number,
  steps: readonly NamedStepSpec[],
): Promise<number[]> {
  const systems = [...new Set(steps.map((s) => s.dependentSystem))];
  await db.query(
    `INSERT INTO tasker_dependent_systems (name) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT (name) DO NOTHING`,
    [systems],
  );
  await db.query(
    `INSERT INTO tasker_named_steps (dependent_system_id, name, description)
     SELECT ds.dependent_system_id, s.name, s.description
       FROM unnest($1::text[], $2::text[], $3::text[]) AS s(system, name, description)
       JOIN tasker_dependent_systems ds ON ds.name = s.system
      ORDER BY 1, 2
     ON CONFLICT (dependent_system_id, name) DO NOTHING`,
    [
      steps.map((s) => s.dependentSystem),
      steps.map((s) => s.name),
      steps.map((s) => s.description.slice(0, 255)),
    ],
  );
  const { rows } = await db.query<{ ordinal: number; id: number }>(
    `SELECT s.ordinal, ns.named_step_id AS id
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS s(system, name, ordinal)
       JOIN tasker_dependent_systems ds ON ds.name = s.system
       JOIN tasker_named_steps ns ON ns.dependent_system_id = ds.dependent_system_id AND ns.name = s.name
      ORDER BY s.ordinal`,
    [steps.map((s) => s.dependentSystem), steps.map((s) => s.name)],
  );
  const ids = rows.map((row) => row.id);
  await db.query(
    `INSERT INTO tasker_named_tasks_named_steps (named_task_id, named_step_id, skippable, default_retryable, default_retry_limit)
     SELECT $1::int, * FROM unnest($2::int[], $3::bool[], $4::bool[], $5::int[]) ORDER BY 2
     ON CONFLICT (named_task_id, named_step_id) DO NOTHING`,
    [
      namedTaskId,
      ids,
      steps.map((s) => s.skippable),
      steps.map((s) => s.defaultRetryable),
      steps.map((s) => s.defaultRetryLimit),
    ],
  );
  return ids;
}
