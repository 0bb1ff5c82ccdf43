import type { Queryable } from '../pool';

/** The task definition row a task was created from, keyed by that task. */
export interface NamedTaskOfTask {
  taskId: number;
  namedTaskId: number;
  name: string;
  namespace: string;
  version: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DependentSystemRecord {
  dependentSystemId: number;
  name: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NamedStepRecord {
  namedStepId: number;
  dependentSystemId: number;
  name: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
  dependentSystem: DependentSystemRecord;
}

/** The named task of each given task (one row per task that exists). */
export async function findNamedTasksOfTasks(
  db: Queryable,
  taskIds: readonly number[],
): Promise<NamedTaskOfTask[]> {
  const { rows } = await db.query<NamedTaskOfTask>(
    `SELECT t.task_id AS "taskId", nt.named_task_id AS "namedTaskId", nt.name, ns.name AS namespace,
            nt.version, nt.description, nt.created_at AS "createdAt", nt.updated_at AS "updatedAt"
       FROM tasker_tasks t
       JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
       JOIN tasker_task_namespaces ns ON ns.task_namespace_id = nt.task_namespace_id
      WHERE t.task_id = ANY ($1::bigint[])`,
    [taskIds],
  );
  return rows;
}

interface NamedStepRow extends Omit<NamedStepRecord, 'dependentSystem'> {
  systemName: string;
  systemDescription: string | null;
  systemCreatedAt: Date;
  systemUpdatedAt: Date;
}

/** Named steps by id, each with its dependent system. */
export async function findNamedSteps(
  db: Queryable,
  namedStepIds: readonly number[],
): Promise<NamedStepRecord[]> {
  const { rows } = await db.query<NamedStepRow>(
    `SELECT ns.named_step_id AS "namedStepId", ns.dependent_system_id AS "dependentSystemId", ns.name,
            ns.description, ns.created_at AS "createdAt", ns.updated_at AS "updatedAt",
            ds.name AS "systemName", ds.description AS "systemDescription",
            ds.created_at AS "systemCreatedAt", ds.updated_at AS "systemUpdatedAt"
       FROM tasker_named_steps ns
       JOIN tasker_dependent_systems ds ON ds.dependent_system_id = ns.dependent_system_id
      WHERE ns.named_step_id = ANY ($1::int[])`,
    [namedStepIds],
  );
  return rows.map(({ systemName, systemDescription, systemCreatedAt, systemUpdatedAt, ...step }) => ({
    ...step,
    dependentSystem: {
      dependentSystemId: step.dependentSystemId,
      name: systemName,
      description: systemDescription,
      createdAt: systemCreatedAt,
      updatedAt: systemUpdatedAt,
    },
  }));
}
