import DataLoader from 'dataloader';
import type { TaskerEngine } from '../engine';
import type { Task } from '../interfaces';

/** Per-request batch loaders, so nested selections cost a bounded number of statements. */
export interface Loaders {
  task: DataLoader<number, Task | null>;
}

export function createLoaders(engine: TaskerEngine): Loaders {
  return {
    task: new DataLoader<number, Task | null>(async (ids) => {
      const tasks = await engine.getTasks(ids);
      return ids.map((id) => tasks.find((task) => task.taskId === id) ?? null);
    }),
  };
}
