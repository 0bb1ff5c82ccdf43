import DataLoader from 'dataloader';
import type { TaskAnnotationRecord } from '../db/queries/annotations';
import type { NamedStepRecord, NamedTaskOfTask } from '../db/queries/definition-reads';
import type { StepTransitionRecord, TaskTransitionRecord } from '../db/queries/transition-history';
import type { TaskerEngine } from '../engine';
import type { Task } from '../interfaces';

/**
 * Per-request batch loaders, so nested selections cost a bounded number of statements however many
 * tasks a list returns. A step's parents and children come through `task` (the steps of a task are
 * loaded with it), which list queries prime with the tasks they return.
 */
export interface Loaders {
  task: DataLoader<number, Task | null>;
  /** By task id. */
  namedTask: DataLoader<number, NamedTaskOfTask | null>;
  /** By named step id. */
  namedStep: DataLoader<number, NamedStepRecord | null>;
  /** By task id. */
  annotations: DataLoader<number, TaskAnnotationRecord[]>;
  /** By task id. */
  taskTransitions: DataLoader<number, TaskTransitionRecord[]>;
  /** By workflow step id. */
  stepTransitions: DataLoader<number, StepTransitionRecord[]>;
}

/** One value per key: the row whose key matches, or null. */
function oneEach<K, V>(load: (keys: readonly K[]) => Promise<V[]>, keyOf: (value: V) => K) {
  return new DataLoader<K, V | null>(async (keys) => {
    const byKey = new Map((await load(keys)).map((value) => [keyOf(value), value]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** A list per key: every row whose key matches, in the order loaded. */
function manyEach<K, V>(load: (keys: readonly K[]) => Promise<V[]>, keyOf: (value: V) => K) {
  return new DataLoader<K, V[]>(async (keys) => {
    const byKey = new Map<K, V[]>(keys.map((key) => [key, []]));
    for (const value of await load(keys)) byKey.get(keyOf(value))?.push(value);
    return keys.map((key) => byKey.get(key) ?? []);
  });
}

export function createLoaders(engine: TaskerEngine): Loaders {
  return {
    task: oneEach(
      (ids) => engine.getTasks(ids),
      (task) => task.taskId,
    ),
    namedTask: oneEach(
      (taskIds) => engine.namedTasksOf(taskIds),
      (row) => row.taskId,
    ),
    namedStep: oneEach(
      (ids) => engine.namedSteps(ids),
      (row) => row.namedStepId,
    ),
    annotations: manyEach(
      (taskIds) => engine.taskAnnotations(taskIds),
      (row) => row.taskId,
    ),
    taskTransitions: manyEach(
      (taskIds) => engine.taskTransitions(taskIds),
      (row) => row.taskId,
    ),
    stepTransitions: manyEach(
      (stepIds) => engine.stepTransitions(stepIds),
      (row) => row.workflowStepId,
    ),
  };
}

/** Lets nested selections of tasks a query already holds (parents, children) reuse them. */
export function primeTasks(loaders: Loaders, tasks: readonly Task[]): void {
  for (const task of tasks) loaders.task.prime(task.taskId, task);
}
