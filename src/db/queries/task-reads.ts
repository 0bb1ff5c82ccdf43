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

export async function findTask(db: Queryable, taskId: number): Promise<TaskRow | undefined> {
  const { rows } = await db.query<TaskRow>(
    `SELECT t.task_id AS "taskId", nt.name, ns.name AS namespace, nt.version,
            COALESCE(cur.to_state, 'pending') AS status, t.complete, t.requested_at AS "requestedAt",
            t.initiator, t.source_system AS "sourceSystem", t.reason, t.tags, t.bypass_steps AS "bypassSteps",
            t.context, t.identity_hash AS "identityHash", t.created_at AS "createdAt", t.updated_at AS "updatedAt"
       FROM tasker_tasks t ${TASK_DEFINITION_JOINS}
       LEFT JOIN tasker_task_transitions cur ON cur.task_id = t.task_id AND cur.most_recent
      WHERE t.task_id = $1`,
    [taskId],
  );
  return rows[0];
}

/** A step as read from the database, before its state and JSON columns are typed. */
export type StepRow = Omit<WorkflowStep, 'status' | 'inputs' | 'results'> & {
  status: string;
  inputs: Record<string, unknown> | null;
  results: unknown;
};

export async function findSteps(db: Queryable, taskId: number): Promise<StepRow[]> {
  const { rows } = await db.query<StepRow>(
    `SELECT ws.workflow_step_id AS "workflowStepId", ws.task_id AS "taskId", ns.name,
            COALESCE(cur.to_state, 'pending') AS status,
            COALESCE((SELECT array_agg(pns.name::text ORDER BY e.from_step_id)
                        FROM tasker_workflow_step_edges e
                        JOIN tasker_workflow_steps p ON p.workflow_step_id = e.from_step_id
                        JOIN tasker_named_steps pns ON pns.named_step_id = p.named_step_id
                       WHERE e.to_step_id = ws.workflow_step_id), '{}') AS "dependsOn",
            ws.retryable, ws.retry_limit AS "retryLimit", ws.attempts, ws.in_process AS "inProcess",
            ws.processed, ws.processed_at AS "processedAt", ws.last_attempted_at AS "lastAttemptedAt",
            ws.backoff_request_seconds AS "backoffRequestSeconds", ws.inputs, ws.results, ws.skippable,
            ws.timeout_seconds AS "timeoutSeconds", ws.created_at AS "createdAt", ws.updated_at AS "updatedAt"
       FROM tasker_workflow_steps ws
       JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
       LEFT JOIN tasker_workflow_step_transitions cur ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
      WHERE ws.task_id = $1
      ORDER BY ws.workflow_step_id`,
    [taskId],
  );
  return rows;
}
