import type { Task, WorkflowStep } from '../interfaces';
import type { StepState, TaskState } from '../state/states';
import { lastStepError } from './step-error';

/** Thrown by the `expect…` helpers; the message lists what differs and every step of the task. */
export class TaskAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The step called `name`; throws a `TaskAssertionError` naming the task's steps when there is none. */
export function stepNamed(task: Task, name: string): WorkflowStep {
  const step = task.steps.find((s) => s.name === name);
  if (!step) {
    throw new TaskAssertionError(
      `${describeTask(task)} has no step "${name}"; its steps are ${task.steps.map((s) => s.name).join(', ')}`,
    );
  }
  return step;
}

/**
 * Checks the states of the named steps (other steps are not checked), e.g.
 * `expectStepStates(task, { a: 'complete', b: 'error' })`. Throws a `TaskAssertionError` listing every mismatch.
 */
export function expectStepStates(task: Task, expected: Readonly<Record<string, StepState>>): void {
  const mismatches = Object.entries(expected).flatMap(([name, state]) => {
    const step = task.steps.find((s) => s.name === name);
    if (!step) return [`  ${name}: expected ${state}, but the task has no such step`];
    return step.status === state ? [] : [`  ${name}: expected ${state}, got ${describeStep(step)}`];
  });
  if (mismatches.length > 0) {
    throw new TaskAssertionError(
      `${describeTask(task)}: step states differ\n${mismatches.join('\n')}\n${stepTable(task)}`,
    );
  }
}

/** Checks the task's state; the error lists every step with its state and last error. */
export function expectTaskStatus(task: Task, status: TaskState): void {
  if (task.status !== status) {
    throw new TaskAssertionError(
      `${describeTask(task)}: expected status ${status}, got ${task.status}\n${stepTable(task)}`,
    );
  }
}

function describeTask(task: Task): string {
  return `Task ${task.taskId} (${task.fullName}, status ${task.status})`;
}

function describeStep(step: WorkflowStep): string {
  const error = lastStepError(step);
  const attempts = `attempts ${step.attempts}/${step.retryLimit}`;
  return error
    ? `${step.status} (${attempts}, last error: ${error.message})`
    : `${step.status} (${attempts})`;
}

function stepTable(task: Task): string {
  const width = Math.max(...task.steps.map((s) => s.name.length));
  return ['All steps:', ...task.steps.map((s) => `  ${s.name.padEnd(width)}  ${describeStep(s)}`)].join('\n');
}
