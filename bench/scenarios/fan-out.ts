import { defineTask } from '../../src/index';
import { Completions, NAMESPACE, startEngine } from '../lib/tasker';
import type { Scenario } from '../lib/types';

function fanOutDefinition(children: number) {
  const names = Array.from({ length: children }, (_, i) => `child_${String(i).padStart(4, '0')}`);
  return defineTask({
    name: 'fan_out',
    namespaceName: NAMESPACE,
    version: '1.0.0',
    stepTemplates: [
      { name: 'root', handlerClass: 'Noop' },
      ...names.map((name) => ({ name, handlerClass: 'Noop', dependsOnStep: 'root' })),
      { name: 'join', handlerClass: 'Noop', dependsOnSteps: names },
    ],
  });
}

/** One task: a root, N parallel children, a join. createTask call → `task.completed`. */
export const fanOut: Scenario = {
  name: 'fan-out-1000',
  timeoutMs: (s) => 120_000 + s.fanOutChildren * 500,
  async run(ctx) {
    const children = ctx.settings.fanOutChildren;
    const steps = children + 2;
    const handled = new Map<string, number>();
    const engine = await startEngine(ctx, [fanOutDefinition(children)], {
      Noop: (step) => {
        handled.set(step.step.name, performance.now());
        return {};
      },
    });
    const completions = new Completions(engine);
    ctx.progress(`Tasker fan-out: root → ${children} children → join (${steps} steps)`);
    const startedAt = performance.now();
    const task = await engine.createTask({ name: 'fan_out', namespace: NAMESPACE, context: {} });
    const createdAt = performance.now();
    const timeoutMs = fanOut.timeoutMs(ctx.settings) - 30_000;
    const completedAt = await completions.wait(task.taskId, timeoutMs, `fan-out task`);
    if (handled.size !== steps)
      throw new Error(`fan-out ran ${handled.size} distinct steps, expected ${steps}`);
    const rootAt = handled.get('root') as number;
    const joinAt = handled.get('join') as number;
    const lastChildAt = Math.max(
      ...[...handled].filter(([name]) => name.startsWith('child_')).map(([, at]) => at),
    );
    ctx.record({ metric: `createTask call (${steps} steps)`, value: createdAt - startedAt, unit: 'ms' });
    ctx.record({ metric: 'createTask → root start', value: rootAt - startedAt, unit: 'ms' });
    ctx.record({
      metric: `root start → last of ${children} children start`,
      value: lastChildAt - rootAt,
      unit: 'ms',
    });
    ctx.record({ metric: 'last child start → join start', value: joinAt - lastChildAt, unit: 'ms' });
    ctx.record({ metric: 'createTask → task complete', value: completedAt - startedAt, unit: 'ms' });
    ctx.record({
      metric: 'steps/s over the whole task',
      value: (steps / (completedAt - startedAt)) * 1000,
      unit: '/s',
    });
  },
};
