import { StepCancelledError } from '../handlers/step-errors';

/** The handlers running in this process, by task, so cancelling a task can abort them. */
export class RunningSteps {
  private readonly byTask = new Map<number, Set<AbortController>>();

  add(taskId: number, controller: AbortController): () => void {
    let controllers = this.byTask.get(taskId);
    if (!controllers) {
      controllers = new Set();
      this.byTask.set(taskId, controllers);
    }
    controllers.add(controller);
    return () => {
      controllers.delete(controller);
      if (controllers.size === 0) this.byTask.delete(taskId);
    };
  }

  abortTask(taskId: number): number {
    const controllers = [...(this.byTask.get(taskId) ?? [])];
    for (const controller of controllers) controller.abort(new StepCancelledError('The task was cancelled'));
    return controllers.length;
  }

  get size(): number {
    let total = 0;
    for (const controllers of this.byTask.values()) total += controllers.size;
    return total;
  }
}
