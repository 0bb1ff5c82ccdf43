import { defineTask } from '../../src/index';
import { untilDoneOrStalled } from '../lib/progress';
import { Completions, NAMESPACE, startEngine } from '../lib/tasker';
import type { Scenario } from '../lib/types';

const STALL_MS = 30_000;
const WARMUP_TASK_TIMEOUT_MS = 60_000;

/** A linear task of `hops` steps: what the pg-boss hand chain does, as a workflow. */
function chainDefinition(hops: number) {
  return defineTask({
    name: 'chain',
    namespaceName: NAMESPACE,
    version: '1.0.0',
    stepTemplates: Array.from({ length: hops }, (_, i) => ({
      name: `s${i + 1}`,
      handlerClass: 'Noop',
      ...(i > 0 ? { dependsOnStep: `s${i}` } : {}),
    })),
  });
}

/**
 * The workflow form of the baseline's hand chains: `throughputChains` linear tasks of
 * `throughputHopsPerChain` steps each, all created at once; first create → last `task.completed`.
 * Steps/s compares with the pg-boss chains (same count, same length) run in this process.
 */
export const chainThroughput: Scenario = {
  name: 'chain-throughput',
  timeoutMs: (s) => 120_000 + s.throughputChains * s.throughputHopsPerChain * 50,
  async run(ctx) {
    const { throughputChains: chains, throughputHopsPerChain: hops } = ctx.settings;
    const engine = await startEngine(ctx, [chainDefinition(hops)], { Noop: () => ({}) });
    const completions = new Completions(engine);
    const create = (i: number) => engine.createTask({ name: 'chain', namespace: NAMESPACE, context: { i } });

    ctx.progress(`Tasker chains: 1 warm-up, then ${chains} linear tasks of ${hops} steps at once`);
    const warmup = await create(-1);
    await completions.wait(warmup.taskId, WARMUP_TASK_TIMEOUT_MS, 'chain warm-up');

    const stepsBefore = completions.stepsCompleted;
    const startedAt = performance.now();
    const tasks = await Promise.all(Array.from({ length: chains }, (_, i) => create(i)));
    const waiting = Promise.all(
      tasks.map((task) => completions.wait(task.taskId, 24 * 3_600_000, `chain task ${task.taskId}`)),
    );
    const finished = await untilDoneOrStalled(
      waiting,
      () => completions.stepsCompleted,
      STALL_MS,
      () => `${completions.stepsCompleted - stepsBefore}/${chains * hops} steps completed`,
    );
    const seconds = (Math.max(...finished) - startedAt) / 1000;
    const steps = completions.stepsCompleted - stepsBefore;
    ctx.record({
      metric: `steps/s, ${chains} linear tasks × ${hops} steps`,
      value: steps / seconds,
      unit: '/s',
      baseline: 'baseline.throughput',
    });
  },
};
