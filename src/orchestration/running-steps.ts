import { StepCancelledError } from '../handlers/step-errors';

/** What to abort: every running handler of a task, or one step's. */
export type CancelTarget = { taskId: number } | { stepId: number };

interface Running {
  taskId: number;
  stepId: number;
  controller: AbortController;
}

/** The handlers running in this process, so cancelling a task or a step can abort them. */
export class RunningSteps {
  private readonly running = new Set<Running>();

  add(taskId: number, stepId: number, controller: AbortController): () => void {
    const entry = { taskId, stepId, controller };
    this.running.add(entry);
    return () => {
      this.running.delete(entry);
    };
  }

  abort(target: CancelTarget): number {
    const matches = [...this.running].filter((entry) =>
      'taskId' in target ? entry.taskId === target.taskId : entry.stepId === target.stepId,
    );
    const reason = 'taskId' in target ? 'The task was cancelled' : 'The step was cancelled';
    for (const entry of matches) entry.controller.abort(new StepCancelledError(reason));
    return matches.length;
  }

  get size(): number {
    return this.running.size;
  }
}
