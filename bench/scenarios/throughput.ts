import { defineTask } from '../../src/index';
import { untilDoneOrStalled } from '../lib/progress';
import { mapLimit } from '../lib/timeout';
import { Completions, NAMESPACE, startEngine } from '../lib/tasker';
import type { Scenario } from '../lib/types';

const STALL_MS = 30_000;
const WARMUP_TASK_TIMEOUT_MS = 30_000;

const definition = defineTask({
  name: 'single_step',
  namespaceName: NAMESPACE,
  version: '1.0.0',
  stepTemplates: [{ name: 'only', handlerClass: 'Noop' }],
});

/** N single-step tasks created with bounded concurrency; first create → last `task.completed`. */
export const singleStepThroughput: Scenario = {
  name: 'single-step-throughput',
  timeoutMs: (s) => 60_000 + (s.warmup + s.throughputTasks) * 200,
  async run(ctx) {
    const engine = await startEngine(ctx, [definition], { Noop: () => ({}) });
    const completions = new Completions(engine);
    const { warmup, throughputTasks: total, throughputInFlight: inFlight } = ctx.settings;
    const create = (i: number) =>
      engine.createTask({ name: 'single_step', namespace: NAMESPACE, context: { i } });

    ctx.progress(
      `Tasker single-step tasks: ${warmup} warm-up, then ${total} with ${inFlight} creates in flight`,
    );
    for (let i = 0; i < warmup; i++) {
      const task = await create(i);
      await completions.wait(task.taskId, WARMUP_TASK_TIMEOUT_MS, `throughput warm-up ${i}`);
    }

    const ids: number[] = [];
    const stepsBefore = completions.stepsCompleted;
    const startedAt = performance.now();
    await mapLimit(total, inFlight, async (i) => {
      const task = await create(warmup + i);
      ids.push(task.taskId);
    });
    const createdAt = performance.now();
    const waiting = Promise.all(
      ids.map((id) => completions.wait(id, 24 * 3_600_000, `throughput task ${id}`)),
    );
    const finished = await untilDoneOrStalled(
      waiting,
      () => completions.stepsCompleted,
      STALL_MS,
      () => `${completions.stepsCompleted - stepsBefore}/${total} steps completed`,
    );
    const endedAt = Math.max(...finished);
    const seconds = (endedAt - startedAt) / 1000;
    const steps = completions.stepsCompleted - stepsBefore;
    ctx.record({
      metric: `tasks/s, first create → last complete (${total} tasks)`,
      value: total / seconds,
      unit: '/s',
    });
    ctx.record({ metric: 'steps/s', value: steps / seconds, unit: '/s', baseline: 'baseline.throughput' });
    ctx.record({
      metric: `createTask calls/s (${inFlight} in flight, workers running)`,
      value: (total / (createdAt - startedAt)) * 1000,
      unit: '/s',
    });
  },
};
