import type { TransitionEvent } from '../events/transition-event';
import type { Task, WorkflowStep } from '../interfaces';
import { lastStepError } from '../testing/step-error';
import type { TaskObserver } from './task-watch';
import { oneLine, textTable } from './text-table';

/** What `tasker run --wait` prints while the task runs and once it has settled. */
export interface ProgressView extends TaskObserver {
  finished(task: Task, elapsedMs: number, note?: string): void;
}

interface Output {
  write(text: string): unknown;
  columns?: number;
}

const DETAIL_WIDTH = 60;

function clock(iso: string): string {
  return new Date(iso).toISOString().slice(11, 23);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function stepDetail(step: WorkflowStep): string {
  const error = lastStepError(step);
  if (error && step.status !== 'complete') return oneLine(error.message, DETAIL_WIDTH);
  if (step.status === 'pending' && step.dependsOn.length > 0) return `after ${step.dependsOn.join(', ')}`;
  return '';
}

function stepRows(task: Task): Array<Array<string | number>> {
  return task.steps.map((step) => [
    step.name,
    step.status,
    `${step.attempts}/${step.retryLimit}`,
    stepDetail(step),
  ]);
}

function doneCount(task: Task): number {
  return task.steps.filter((step) => step.status === 'complete' || step.status === 'resolved_manually')
    .length;
}

function summary(task: Task, elapsedMs: number, note?: string): string {
  return `Task ${task.taskId} (${task.fullName}) is ${task.status} after ${seconds(elapsedMs)}${note ? `; ${note}` : ''}.`;
}

/**
 * For terminals: a table of the task's steps redrawn in place as they change. Lines are cut to the
 * terminal width so that the redraw can count them.
 */
export function terminalProgress(out: Output, startedAt: number): ProgressView {
  let drawn = 0;
  const draw = (task: Task) => {
    const width = Math.max(20, (out.columns || 100) - 1);
    const header = `Task ${task.taskId} ${task.fullName}: ${task.status} (${doneCount(task)}/${task.steps.length} steps done, ${seconds(Date.now() - startedAt)})`;
    const lines = [
      header,
      ...textTable(['STEP', 'STATUS', 'ATTEMPTS', 'DETAIL'], stepRows(task)).split('\n'),
    ].map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
    out.write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  return {
    created: draw,
    transition: () => undefined,
    snapshot: draw,
    finished(task, elapsedMs, note) {
      draw(task);
      out.write(`${summary(task, elapsedMs, note)}\n`);
    },
  };
}

/** For logs and pipes: one line per transition, the error of each failed attempt, and a final table. */
export function lineProgress(out: Output): ProgressView {
  const unexplainedFailures = new Set<number>();
  return {
    created(task) {
      out.write(`Created task ${task.taskId} (${task.fullName}) with ${task.steps.length} steps\n`);
    },
    transition(event: TransitionEvent) {
      const subject = event.stepName === null ? `task ${event.taskId}` : `step ${event.stepName}`;
      out.write(`${clock(event.occurredAt)} ${subject}: ${event.fromState ?? 'new'} → ${event.toState}\n`);
      if (event.stepId !== null && event.toState === 'error') unexplainedFailures.add(event.stepId);
    },
    snapshot(task) {
      for (const step of task.steps) {
        const error = unexplainedFailures.has(step.workflowStepId) ? lastStepError(step) : null;
        if (!error) continue;
        unexplainedFailures.delete(step.workflowStepId);
        const attempt = `attempt ${error.attempt ?? step.attempts}/${step.retryLimit}`;
        out.write(
          `  ${step.name} ${attempt} failed: ${[error.errorClass, oneLine(error.message, 200)].filter(Boolean).join(': ')}\n`,
        );
      }
    },
    finished(task, elapsedMs, note) {
      out.write(
        `${summary(task, elapsedMs, note)}\n${textTable(['STEP', 'STATUS', 'ATTEMPTS', 'DETAIL'], stepRows(task))}\n`,
      );
    },
  };
}

/** The final task for `--json`: its steps with their results and last errors. */
export function taskJson(task: Task) {
  return {
    taskId: task.taskId,
    task: task.fullName,
    namespace: task.namespace,
    name: task.name,
    version: task.version,
    status: task.status,
    steps: task.steps.map((step) => ({
      name: step.name,
      status: step.status,
      attempts: step.attempts,
      retryLimit: step.retryLimit,
      results: step.results,
      error: lastStepError(step),
    })),
  };
}
