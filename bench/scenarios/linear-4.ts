import { defineTask } from '../../src/index';
import { distribution } from '../lib/stats';
import { Completions, NAMESPACE, startEngine } from '../lib/tasker';
import type { Scenario } from '../lib/types';

const TASK_TIMEOUT_MS = 30_000;

const definition = defineTask({
  name: 'linear_4',
  namespaceName: NAMESPACE,
  version: '1.0.0',
  stepTemplates: [
    { name: 's1', handlerClass: 'Noop' },
    { name: 's2', handlerClass: 'Noop', dependsOnStep: 's1' },
    { name: 's3', handlerClass: 'Noop', dependsOnStep: 's2' },
    { name: 's4', handlerClass: 'Noop', dependsOnStep: 's3' },
  ],
});

/** A 4-step linear task, one at a time: createTask call → `task.completed`. */
export const linear4: Scenario = {
  name: 'linear-4',
  timeoutMs: (s) => 60_000 + (s.warmup + s.linearRuns) * 2_000,
  async run(ctx) {
    const engine = await startEngine(ctx, [definition], { Noop: () => ({}) });
    const completions = new Completions(engine);
    const { warmup, linearRuns: runs } = ctx.settings;
    ctx.progress(`Tasker 4-step linear task: ${warmup} warm-up + ${runs} runs, one at a time`);
    const samples: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const startedAt = performance.now();
      const task = await engine.createTask({ name: 'linear_4', namespace: NAMESPACE, context: { i } });
      const completedAt = await completions.wait(task.taskId, TASK_TIMEOUT_MS, `linear-4 run ${i}`);
      if (i >= warmup) samples.push(completedAt - startedAt);
    }
    const d = distribution(samples);
    for (const p of ['p50', 'p95', 'p99', 'max'] as const) {
      ctx.record({ metric: `createTask → task complete ${p} (n=${d.n})`, value: d[p], unit: 'ms' });
    }
  },
};
