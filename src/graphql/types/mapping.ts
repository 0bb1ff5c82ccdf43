import type { SystemHealthCounts } from '../../db/queries/health';
import type { Task, WorkflowStep } from '../../interfaces';
import { taskLabel } from '../../registry/task-label';
import type { TaskRegistry } from '../../registry/task-registry';
import type { TaskDefinition } from '../../registry/types';
import { dependencyGraph } from '../../rest/handler-discovery';
import { assessHealth } from '../../rest/health-assessment';
import type { HandlerNamespaceType, HandlerType } from './handler';
import type { HealthStatusType } from './health';
import { TaskType, WorkflowStepType } from './task';

export function toStepType(step: WorkflowStep): WorkflowStepType {
  return Object.assign(new WorkflowStepType(), step, {
    parentStepIds: step.parentIds,
    childStepIds: step.childIds,
  });
}

export function toTaskType(task: Task): TaskType {
  return Object.assign(new TaskType(), task, { workflowSteps: task.steps.map(toStepType) });
}

export function toHandlerNamespaces(registry: TaskRegistry): HandlerNamespaceType[] {
  return registry.namespaces().map((namespace) => ({
    name: namespace.name,
    handlerCount: namespace.taskCount,
    handlers: registry.listNamespace(namespace.name),
  }));
}

export function toHandlerType(definition: TaskDefinition): HandlerType {
  return {
    name: definition.name,
    namespace: definition.namespaceName,
    version: definition.version,
    fullName: taskLabel(definition),
    description: definition.description,
    contextSchema: definition.schema,
    stepTemplates: definition.stepTemplates.map((template) => ({
      name: template.name,
      description: template.description,
      dependentSystem: template.dependentSystem,
      dependsOnSteps: template.dependsOn,
      handlerClass: template.handlerClass,
      configuration: template.handlerConfig,
      defaultRetryable: template.defaultRetryable,
      defaultRetryLimit: template.defaultRetryLimit,
      skippable: template.skippable,
      timeoutSeconds: template.timeoutSeconds,
      customEvents: template.customEvents.map((event) => ({
        name: event.name,
        description: event.description ?? null,
      })),
    })),
    dependencyGraph: dependencyGraph(definition.stepTemplates),
  };
}

export function toHealthStatusType(counts: SystemHealthCounts): HealthStatusType {
  const { healthy, connectionUtilization } = assessHealth(counts);
  return {
    healthy,
    status: healthy ? 'healthy' : 'unhealthy',
    tasks: {
      total: counts.totalTasks,
      pending: counts.pendingTasks,
      inProgress: counts.inProgressTasks,
      complete: counts.completeTasks,
      error: counts.errorTasks,
      cancelled: counts.cancelledTasks,
      resolvedManually: counts.resolvedManuallyTasks,
    },
    steps: {
      total: counts.totalSteps,
      pending: counts.pendingSteps,
      inProgress: counts.inProgressSteps,
      complete: counts.completeSteps,
      error: counts.errorSteps,
      cancelled: counts.cancelledSteps,
      resolvedManually: counts.resolvedManuallySteps,
    },
    retries: {
      retryableErrors: counts.retryableErrorSteps,
      exhaustedRetries: counts.exhaustedRetrySteps,
      inBackoff: counts.inBackoffSteps,
    },
    database: {
      activeConnections: counts.activeConnections,
      maxConnections: counts.maxConnections,
      connectionUtilization,
    },
    timestamp: new Date(),
  };
}
