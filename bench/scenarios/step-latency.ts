import { defineTask } from '../../src/index';
import { distribution } from '../lib/stats';
import { Completions, NAMESPACE, startEngine } from '../lib/tasker';
import type { Scenario } from '../lib/types';

const TASK_TIMEOUT_MS = 30_000;

interface Marks {
  aStart?: number;
  aEnd?: number;
  bStart?: number;
}

const definition = defineTask({
  name: 'step_latency',
  namespaceName: NAMESPACE,
  version: '1.0.0',
  stepTemplates: [
    { name: 'a', handlerClass: 'MarkA' },
    { name: 'b', handlerClass: 'MarkB', dependsOnStep: 'a' },
  ],
});

/** A 2-step linear task, one at a time: step A's handler end → step B's handler start, and createTask → A's start. */
export const stepLatency: Scenario = {
  name: 'step-latency',
  timeoutMs: (s) => 60_000 + (s.warmup + s.stepLatencyRuns) * 500,
  async run(ctx) {
    const marks = new Map<number, Marks>();
    const marksOf = (taskId: number): Marks => {
      let entry = marks.get(taskId);
      if (!entry) marks.set(taskId, (entry = {}));
      return entry;
    };
    const engine = await startEngine(ctx, [definition], {
      MarkA: (step) => {
        const entry = marksOf(step.task.taskId);
        entry.aStart = performance.now();
        entry.aEnd = performance.now();
        return {};
      },
      MarkB: (step) => {
        marksOf(step.task.taskId).bStart = performance.now();
        return {};
      },
    });
    const completions = new Completions(engine);
    const { warmup, stepLatencyRuns: runs } = ctx.settings;
    ctx.progress(`Tasker 2-step linear task: ${warmup} warm-up + ${runs} runs, one at a time`);
    const hops: number[] = [];
    const firstStarts: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const createdAt = performance.now();
      const task = await engine.createTask({ name: 'step_latency', namespace: NAMESPACE, context: { i } });
      await completions.wait(task.taskId, TASK_TIMEOUT_MS, `step-latency run ${i}`);
      const { aStart, aEnd, bStart } = marksOf(task.taskId);
      marks.delete(task.taskId);
      if (aStart === undefined || aEnd === undefined || bStart === undefined) {
        throw new Error(
          `step-latency run ${i} (task ${task.taskId}) completed without both handlers running`,
        );
      }
      if (i < warmup) continue;
      hops.push(bStart - aEnd);
      firstStarts.push(aStart - createdAt);
    }
    const hop = distribution(hops);
    const first = distribution(firstStarts);
    for (const p of ['p50', 'p95', 'p99', 'max'] as const) {
      ctx.record({
        metric: `step A end → step B start ${p} (n=${hop.n})`,
        value: hop[p],
        unit: 'ms',
        baseline: `baseline.notify.${p}`,
      });
    }
    for (const p of ['p50', 'p95', 'p99', 'max'] as const) {
      ctx.record({
        metric: `createTask → first step start ${p} (n=${first.n})`,
        value: first[p],
        unit: 'ms',
        baseline: `baseline.notify.${p}`,
      });
    }
  },
};
