import type { Command } from 'commander';
import { quickstartContext, quickstartHandlers, quickstartTask } from '../demo/quickstart';
import { createEngine } from '../engine';
import { consoleLogger } from './console-logger';
import { databaseOptions } from './database-options';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'start Tasker: connect (or start the embedded PostgreSQL), migrate, and create the demo task',
    )
    .action(async () => {
      const engine = createEngine({
        ...databaseOptions(),
        tasks: [quickstartTask],
        stepHandlers: quickstartHandlers,
        logger: consoleLogger(),
      });
      try {
        await engine.ready();
        const registered = engine.registry.list().map((d) => `${d.namespaceName}.${d.name}@${d.version}`);
        console.log(`Tasker is ready. Registered task definitions: ${registered.join(', ')}`);
        const task = await engine.createTask({
          name: quickstartTask.name,
          namespace: quickstartTask.namespaceName,
          context: quickstartContext,
          initiator: 'npm start',
          reason: 'quick start demo',
        });
        console.log(`Created task ${task.taskId} (${task.fullName}), status ${task.status}, with steps:`);
        for (const step of task.steps) {
          const after = step.dependsOn.length ? ` after ${step.dependsOn.join(', ')}` : '';
          console.log(`  - ${step.name} [${step.status}]${after}`);
        }
        const started = Date.now();
        const settled = await engine.runUntilSettled(task.taskId);
        console.log(`Task ${settled.taskId} is ${settled.status} after ${Date.now() - started} ms:`);
        for (const step of settled.steps) {
          console.log(`  - ${step.name} [${step.status}] results ${JSON.stringify(step.results)}`);
        }
      } finally {
        await engine.close();
      }
    });
}
