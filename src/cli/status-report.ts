import type { TaskerEngine } from '../engine';
import type { SystemHealthCounts } from '../db/queries/health';
import type { StepState, TaskState } from '../state/states';
import { lastStepError } from '../testing/step-error';

export interface FailedStepSummary {
  name: string;
  attempts: number;
  retryLimit: number;
  errorClass: string | null;
  message: string | null;
}

export interface FailedTaskSummary {
  taskId: number;
  task: string;
  /** When the task entered `error` (ISO), if its transition is on record. */
  failedAt: string | null;
  failedSteps: FailedStepSummary[];
}

/** What `tasker status` prints (as JSON with `--json`). */
export interface StatusReport {
  tasks: Record<TaskState | 'total', number>;
  steps: Record<StepState | 'total', number>;
  retries: { retryableErrorSteps: number; exhaustedRetrySteps: number; inBackoffSteps: number };
  connections: { active: number; max: number };
  recentFailures: FailedTaskSummary[];
}

/** Counts from `get_system_health_counts_v01` and the newest `failures` tasks in `error` with their failed steps. */
export async function statusReport(engine: TaskerEngine, failures: number): Promise<StatusReport> {
  const [counts, recentFailures] = await Promise.all([
    engine.healthCounts(),
    recentlyFailedTasks(engine, failures),
  ]);
  return {
    tasks: taskCounts(counts),
    steps: stepCounts(counts),
    retries: {
      retryableErrorSteps: counts.retryableErrorSteps,
      exhaustedRetrySteps: counts.exhaustedRetrySteps,
      inBackoffSteps: counts.inBackoffSteps,
    },
    connections: { active: counts.activeConnections, max: counts.maxConnections },
    recentFailures,
  };
}

function taskCounts(c: SystemHealthCounts): StatusReport['tasks'] {
  return {
    pending: c.pendingTasks,
    in_progress: c.inProgressTasks,
    complete: c.completeTasks,
    error: c.errorTasks,
    cancelled: c.cancelledTasks,
    resolved_manually: c.resolvedManuallyTasks,
    total: c.totalTasks,
  };
}

function stepCounts(c: SystemHealthCounts): StatusReport['steps'] {
  return {
    pending: c.pendingSteps,
    in_progress: c.inProgressSteps,
    complete: c.completeSteps,
    error: c.errorSteps,
    cancelled: c.cancelledSteps,
    resolved_manually: c.resolvedManuallySteps,
    total: c.totalSteps,
  };
}

/** The newest tasks now in `error`, most recently failed first. */
async function recentlyFailedTasks(engine: TaskerEngine, limit: number): Promise<FailedTaskSummary[]> {
  if (limit === 0) return [];
  const { tasks } = await engine.listTasks({ status: 'error', sortBy: 'task_id', sortOrder: 'desc', limit });
  const transitions = await engine.taskTransitions(tasks.map((task) => task.taskId));
  const failedAt = new Map<number, string>();
  for (const transition of transitions) {
    if (transition.toState === 'error') failedAt.set(transition.taskId, transition.createdAt.toISOString());
  }
  return tasks
    .map((task) => ({
      taskId: task.taskId,
      task: task.fullName,
      failedAt: failedAt.get(task.taskId) ?? null,
      failedSteps: task.steps
        .filter((step) => step.status === 'error')
        .map((step) => {
          const error = lastStepError(step);
          return {
            name: step.name,
            attempts: step.attempts,
            retryLimit: step.retryLimit,
            errorClass: error?.errorClass ?? null,
            message: error?.message ?? null,
          };
        }),
    }))
    .sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? '') || b.taskId - a.taskId);
}
