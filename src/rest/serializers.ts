import type { Task, WorkflowStep } from '../interfaces';

/** REST shape of a step (snake_case, as the original Tasker), with its DAG neighbours. */
export function serializeStep(step: WorkflowStep, siblings: readonly WorkflowStep[] = []) {
  const parentKey = step.parentIds.join(',');
  return {
    workflow_step_id: step.workflowStepId,
    task_id: step.taskId,
    name: step.name,
    named_step_id: step.namedStepId,
    status: step.status,
    attempts: step.attempts,
    retry_limit: step.retryLimit,
    retryable: step.retryable,
    skippable: step.skippable,
    in_process: step.inProcess,
    processed: step.processed,
    processed_at: step.processedAt,
    last_attempted_at: step.lastAttemptedAt,
    backoff_request_seconds: step.backoffRequestSeconds,
    timeout_seconds: step.timeoutSeconds,
    inputs: step.inputs,
    results: step.results,
    depends_on: step.dependsOn,
    parents_ids: step.parentIds,
    children_ids: step.childIds,
    siblings_ids: siblings
      .filter(
        (other) => other.workflowStepId !== step.workflowStepId && other.parentIds.join(',') === parentKey,
      )
      .map((other) => other.workflowStepId),
    created_at: step.createdAt,
    updated_at: step.updatedAt,
  };
}

export type SerializedStep = ReturnType<typeof serializeStep>;

/** REST shape of a task (snake_case, as the original Tasker) with its steps. */
export function serializeTask(task: Task) {
  return {
    task_id: task.taskId,
    name: task.name,
    namespace: task.namespace,
    version: task.version,
    full_name: task.fullName,
    status: task.status,
    complete: task.complete,
    initiator: task.initiator,
    source_system: task.sourceSystem,
    reason: task.reason,
    tags: task.tags,
    bypass_steps: task.bypassSteps,
    context: task.context,
    requested_at: task.requestedAt,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    workflow_steps: task.steps.map((step) => serializeStep(step, task.steps)),
  };
}

export type SerializedTask = ReturnType<typeof serializeTask>;
