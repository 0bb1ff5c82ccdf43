import type { Task, WorkflowStep } from '../../interfaces';
import { TaskType, WorkflowStepType } from '../types/task';

export function toStepType(step: WorkflowStep): WorkflowStepType {
  return Object.assign(new WorkflowStepType(), step, {
    parentStepIds: step.parentIds,
    childStepIds: step.childIds,
  });
}

export function toTaskType(task: Task): TaskType {
  return Object.assign(new TaskType(), task, { workflowSteps: task.steps.map(toStepType) });
}
