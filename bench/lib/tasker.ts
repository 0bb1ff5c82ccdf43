import pino from 'pino';
import { createEngine, type StepHandlerMap, type TaskDefinition, type TaskerEngine } from '../../src/index';
import type { ScenarioContext } from './types';
import { BenchTimeoutError, withTimeout } from './timeout';

/** The engine settings every Tasker scenario uses. */
export const WORKER = { concurrency: 20, batchSize: 20, pollIntervalMs: 1_000 } as const;
export const POOL_SIZE = 20;
export const NAMESPACE = 'bench';

/** An in-process engine with workers on the scenario's database; closed by the scenario's cleanup. */
export async function startEngine(
  ctx: ScenarioContext,
  tasks: TaskDefinition[],
  stepHandlers: StepHandlerMap,
): Promise<TaskerEngine> {
  const engine = createEngine({
    databaseUrl: ctx.databaseUrl,
    tasks,
    stepHandlers,
    worker: { ...WORKER },
    poolSize: POOL_SIZE,
    // warn and above, to stderr so stdout keeps only the results table
    logger: pino({ level: 'warn' }, pino.destination(2)),
    shutdownTimeoutMs: 5_000,
  });
  ctx.onCleanup(() => engine.close());
  await engine.ready();
  return engine;
}

interface Waiter {
  resolve: (at: number) => void;
  reject: (error: Error) => void;
}

/**
 * Completion times (performance.now() in the `task.completed` subscriber) by task id. Events can
 * arrive before `createTask` returns, so early ones are kept until someone asks.
 */
export class Completions {
  stepsCompleted = 0;
  lastCompletionAt = 0;
  private readonly done = new Map<number, number>();
  private readonly failed = new Map<number, string>();
  private readonly waiters = new Map<number, Waiter>();

  constructor(private readonly engine: TaskerEngine) {
    engine.events.subscribe('task.*', (event) => {
      const at = performance.now();
      const taskId = Number(event.payload.task_id);
      if (event.name === 'task.completed') {
        this.lastCompletionAt = at;
        const waiter = this.waiters.get(taskId);
        if (waiter) {
          this.waiters.delete(taskId);
          waiter.resolve(at);
        } else this.done.set(taskId, at);
      } else if (event.name === 'task.failed' || event.name === 'task.cancelled') {
        const reason = `task ${taskId} went to ${String(event.payload.to_state)} (${event.name})`;
        const waiter = this.waiters.get(taskId);
        if (waiter) {
          this.waiters.delete(taskId);
          waiter.reject(new Error(reason));
        } else this.failed.set(taskId, reason);
      }
    });
    engine.events.subscribe('step.completed', () => {
      this.stepsCompleted += 1;
    });
  }

  /** When the task completed; rejects with the task's state after `timeoutMs`. */
  async wait(taskId: number, timeoutMs: number, label: string): Promise<number> {
    const early = this.done.get(taskId);
    if (early !== undefined) {
      this.done.delete(taskId);
      return early;
    }
    const failure = this.failed.get(taskId);
    if (failure) throw new Error(`${label}: ${failure}`);
    const completed = new Promise<number>((resolve, reject) => this.waiters.set(taskId, { resolve, reject }));
    try {
      return await withTimeout(
        completed,
        timeoutMs,
        `${label}: task ${taskId} did not complete within ${timeoutMs} ms`,
      );
    } catch (error) {
      this.waiters.delete(taskId);
      if (error instanceof BenchTimeoutError)
        throw new Error(`${error.message}; ${await this.describe(taskId)}`);
      throw error;
    }
  }

  /** The task's status and its steps grouped by status, for failure messages. */
  async describe(taskId: number): Promise<string> {
    try {
      const task = await withTimeout(this.engine.getTask(taskId), 5_000, 'getTask timed out');
      if (!task) return 'the task does not exist';
      const byStatus = new Map<string, string[]>();
      for (const step of task.steps) {
        const list = byStatus.get(step.status) ?? [];
        list.push(step.inProcess ? `${step.name}(in process)` : step.name);
        byStatus.set(step.status, list);
      }
      const steps = [...byStatus]
        .map(
          ([status, names]) => `${status}: ${names.length > 5 ? `${names.length} steps` : names.join(', ')}`,
        )
        .join('; ');
      return `task status ${task.status}, steps ${steps}`;
    } catch (error) {
      return `could not read the task (${error instanceof Error ? error.message : String(error)})`;
    }
  }
}
