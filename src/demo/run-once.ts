import { createEngine } from '../engine';
import type { Logger } from '../interfaces';
import { quickstartContext, quickstartHandlers, quickstartTask } from './quickstart';

/** `tasker start --once`: creates the quick start task, runs it to completion, prints it, returns. */
export async function runQuickstartOnce(options: {
  databaseUrl?: string;
  logger: Logger;
  print: (line: string) => void;
}): Promise<void> {
  const { print } = options;
  const engine = createEngine({
    databaseUrl: options.databaseUrl,
    tasks: [quickstartTask],
    stepHandlers: quickstartHandlers,
    logger: options.logger,
  });
  try {
    await engine.ready();
    const registered = engine.registry.list().map((d) => `${d.namespaceName}.${d.name}@${d.version}`);
    print(`Tasker is ready. Registered task definitions: ${registered.join(', ')}`);
    const task = await engine.createTask({
      name: quickstartTask.name,
      namespace: quickstartTask.namespaceName,
      context: quickstartContext,
      initiator: 'npm start',
      reason: 'quick start demo',
    });
    print(`Created task ${task.taskId} (${task.fullName}), status ${task.status}, with steps:`);
    for (const step of task.steps) {
      const after = step.dependsOn.length ? ` after ${step.dependsOn.join(', ')}` : '';
      print(`  - ${step.name} [${step.status}]${after}`);
    }
    const started = Date.now();
    const settled = await engine.runUntilSettled(task.taskId);
    print(`Task ${settled.taskId} is ${settled.status} after ${Date.now() - started} ms:`);
    for (const step of settled.steps) {
      print(`  - ${step.name} [${step.status}] results ${JSON.stringify(step.results)}`);
    }
  } finally {
    await engine.close();
  }
}
