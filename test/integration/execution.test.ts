import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import { IllegalTransitionError } from '../../src/errors';
import { PermanentError, RetryableError } from '../../src/handlers/step-errors';
import { StepHandler, type StepContext, type StepHandlerMap } from '../../src/handlers/step-handler';
import type { Task } from '../../src/interfaces';
import { defineTask } from '../../src/registry/define-task';
import type { StepTemplateInput } from '../../src/registry/types';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER, testEngine } from '../support/engine';

interface Run {
  task: number;
  step: string;
  attempt: number;
  start: number;
  end: number;
}

/** What every handler did, by task and step, so tests can count executions and check overlap. */
const runs: Run[] = [];
/** Per test: how many times a step should fail before succeeding, keyed by step name. */
let failuresBeforeSuccess: Record<string, number> = {};
const gates = new Map<string, { release: () => void; started: Promise<void> }>();

function runsOf(task: Task, step?: string): Run[] {
  return runs.filter((r) => r.task === task.taskId && (step === undefined || r.step === step));
}

async function record(ctx: StepContext, work: () => Promise<unknown> | unknown = () => undefined) {
  const start = performance.now();
  try {
    return await work();
  } finally {
    runs.push({
      task: ctx.task.taskId,
      step: ctx.step.name,
      attempt: ctx.step.attempts,
      start,
      end: performance.now(),
    });
  }
}

class Echo extends StepHandler {
  async process(ctx: StepContext) {
    return record(ctx, async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { step: ctx.step.name, attempt: ctx.step.attempts };
    });
  }
}

const handlers: StepHandlerMap = {
  Echo,
  Flaky: (ctx) =>
    record(ctx, () => {
      const remaining = failuresBeforeSuccess[ctx.step.name] ?? 0;
      if (ctx.step.attempts <= remaining) throw new Error(`flaky failure ${ctx.step.attempts}`);
      return { recovered: true };
    }),
  Permanent: (ctx) =>
    record(ctx, () => {
      throw new PermanentError('card declined', { errorCode: 'DECLINED' });
    }),
  RetryAfter: (ctx) =>
    record(ctx, () => {
      if (ctx.step.attempts === 1) throw new RetryableError('rate limited', { retryAfterSeconds: 1 });
      return { ok: true };
    }),
  SlowOk: (ctx) =>
    record(ctx, async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { ok: true };
    }),
  Slow: (ctx) =>
    record(
      ctx,
      () =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error));
        }),
    ),
  Gate: (ctx) =>
    record(ctx, async () => {
      const gate = gates.get(ctx.step.name);
      gate?.release();
      await new Promise((resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error));
        setTimeout(resolve, 60_000);
      });
    }),
  Summarise: (ctx) =>
    record(ctx, () => ({
      fromA: ctx.results('a'),
      fromB: ctx.results('b'),
      missing: ctx.results('nope') ?? null,
    })),
};

const step = (
  name: string,
  handlerClass: string,
  extra: Partial<StepTemplateInput> = {},
): StepTemplateInput => ({
  name,
  handlerClass,
  ...extra,
});

const definitions = [
  defineTask({
    name: 'linear',
    stepTemplates: [
      step('a', 'Echo'),
      step('b', 'Echo', { dependsOnStep: 'a' }),
      step('c', 'Echo', { dependsOnStep: 'b' }),
      step('d', 'Summarise', { dependsOnStep: 'c' }),
    ],
  }),
  defineTask({
    name: 'diamond',
    stepTemplates: [
      step('a', 'Echo'),
      step('b', 'Echo', { dependsOnStep: 'a' }),
      step('c', 'Echo', { dependsOnStep: 'a' }),
      step('d', 'Echo', { dependsOnSteps: ['b', 'c'] }),
    ],
  }),
  defineTask({
    name: 'tree',
    stepTemplates: [
      step('root', 'Echo'),
      step('l', 'Echo', { dependsOnStep: 'root' }),
      step('r', 'Echo', { dependsOnStep: 'root' }),
      step('ll', 'Echo', { dependsOnStep: 'l' }),
      step('lr', 'Echo', { dependsOnStep: 'l' }),
      step('rl', 'Echo', { dependsOnStep: 'r' }),
      step('rr', 'Echo', { dependsOnStep: 'r' }),
    ],
  }),
  defineTask({
    name: 'fan',
    stepTemplates: [
      step('start', 'Echo'),
      ...Array.from({ length: 120 }, (_, i) => step(`p${i}`, 'Echo', { dependsOnStep: 'start' })),
      step('join', 'Echo', { dependsOnSteps: Array.from({ length: 120 }, (_, i) => `p${i}`) }),
    ],
  }),
  defineTask({
    name: 'mixed',
    stepTemplates: [
      step('x', 'Echo'),
      step('y', 'Echo'),
      step('a', 'Echo', { dependsOnSteps: ['x', 'y'] }),
      step('b', 'Echo', { dependsOnStep: 'x' }),
      step('c', 'Echo', { dependsOnSteps: ['a', 'b'] }),
      step('z', 'Echo'),
    ],
  }),
  defineTask({
    name: 'flaky',
    stepTemplates: [
      step('first', 'Echo'),
      step('wobbly', 'Flaky', { dependsOnStep: 'first', defaultRetryLimit: 3 }),
      step('after', 'Echo', { dependsOnStep: 'wobbly' }),
    ],
  }),
  defineTask({
    name: 'permanent',
    stepTemplates: [
      step('charge', 'Permanent', { defaultRetryLimit: 5 }),
      step('ship', 'Echo', { dependsOnStep: 'charge' }),
    ],
  }),
  defineTask({ name: 'retry_after', stepTemplates: [step('call', 'RetryAfter')] }),
  defineTask({
    name: 'branch_fails_while_sibling_runs',
    stepTemplates: [
      step('a', 'Echo'),
      step('slow_ok', 'SlowOk', { dependsOnStep: 'a' }),
      step('declined', 'Permanent', { dependsOnStep: 'a' }),
      step('join', 'Echo', { dependsOnSteps: ['slow_ok', 'declined'] }),
    ],
  }),
  defineTask({
    name: 'timeout',
    stepTemplates: [step('slow', 'Slow', { timeoutSeconds: 1, defaultRetryLimit: 2 })],
  }),
  defineTask({ name: 'once', stepTemplates: [step('only', 'Flaky', { defaultRetryable: false })] }),
  defineTask({
    name: 'gated',
    stepTemplates: [step('wait', 'Gate'), step('next', 'Echo', { dependsOnStep: 'wait' })],
  }),
];

describe('executing tasks on pg-boss workers', () => {
  let db: TestDatabase;
  let engine: TaskerEngine;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = testEngine(db, {
      tasks: definitions,
      stepHandlers: handlers,
      worker: { ...FAST_WORKER, concurrency: 40 },
      backoff: FAST_BACKOFF,
    });
    await engine.ready();
  });
  afterAll(async () => {
    await engine.close();
    await db.drop();
  });
  beforeEach(() => {
    failuresBeforeSuccess = {};
  });

  async function run(name: string, timeoutMs = 20_000): Promise<Task> {
    const task = await engine.createTask({ name, context: { run: name } });
    return engine.runUntilSettled(task.taskId, { timeoutMs });
  }

  function expectEachStepRanOnce(task: Task) {
    for (const s of task.steps) expect(runsOf(task, s.name), s.name).toHaveLength(1);
  }

  it('runs a linear task in order, each step once, passing ancestor results', async () => {
    const task = await run('linear');
    expect(task.status).toBe('complete');
    expect(task.complete).toBe(true);
    expect(task.steps.map((s) => [s.name, s.status, s.attempts, s.processed, s.inProcess])).toEqual([
      ['a', 'complete', 1, true, false],
      ['b', 'complete', 1, true, false],
      ['c', 'complete', 1, true, false],
      ['d', 'complete', 1, true, false],
    ]);
    expectEachStepRanOnce(task);
    const order = runsOf(task)
      .sort((x, y) => x.start - y.start)
      .map((r) => r.step);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(task.steps[3].results).toEqual({
      fromA: { step: 'a', attempt: 1 },
      fromB: { step: 'b', attempt: 1 },
      missing: null,
    });
  });

  it('runs the branches of a diamond in parallel', async () => {
    const task = await run('diamond');
    expect(task.status).toBe('complete');
    expectEachStepRanOnce(task);
    const [b] = runsOf(task, 'b');
    const [c] = runsOf(task, 'c');
    const [d] = runsOf(task, 'd');
    expect(b.start < c.end && c.start < b.end, 'b and c overlap').toBe(true);
    expect(d.start).toBeGreaterThanOrEqual(Math.max(b.end, c.end));
  });

  it('completes a tree and a mixed DAG', async () => {
    const [tree, mixed] = await Promise.all([run('tree'), run('mixed')]);
    for (const task of [tree, mixed]) {
      expect(task.status).toBe('complete');
      expectEachStepRanOnce(task);
    }
  });

  it('fans out to 120 parallel steps and joins them', async () => {
    const task = await run('fan', 60_000);
    expect(task.status).toBe('complete');
    expect(task.steps).toHaveLength(122);
    expectEachStepRanOnce(task);
    const parallel = runsOf(task).filter((r) => r.step.startsWith('p'));
    const maxOverlap = Math.max(
      ...parallel.map((r) => parallel.filter((o) => o.start < r.end && r.start < o.end).length),
    );
    expect(maxOverlap).toBeGreaterThan(5);
    const [join] = runsOf(task, 'join');
    expect(join.start).toBeGreaterThanOrEqual(Math.max(...parallel.map((r) => r.end)));
  });

  it('retries a failed step after its backoff and then completes', async () => {
    failuresBeforeSuccess = { wobbly: 2 };
    const task = await run('flaky');
    expect(task.status).toBe('complete');
    expect(runsOf(task, 'wobbly').map((r) => r.attempt)).toEqual([1, 2, 3]);
    const wobbly = task.steps.find((s) => s.name === 'wobbly');
    expect(wobbly).toMatchObject({ status: 'complete', attempts: 3, results: { recovered: true } });
    const { rows } = await db.pool.query(
      `SELECT from_state, to_state FROM tasker_workflow_step_transitions WHERE workflow_step_id = $1 ORDER BY sort_key`,
      [wobbly?.workflowStepId],
    );
    expect(rows.map((r) => `${r.from_state}→${r.to_state}`)).toEqual([
      'pending→in_progress',
      'in_progress→error',
      'error→pending',
      'pending→in_progress',
      'in_progress→error',
      'error→pending',
      'pending→in_progress',
      'in_progress→complete',
    ]);
  });

  it('fails the task when retries are exhausted, and never runs the steps after it', async () => {
    failuresBeforeSuccess = { wobbly: 10 };
    const task = await run('flaky');
    expect(task.status).toBe('error');
    expect(runsOf(task, 'wobbly')).toHaveLength(3);
    expect(runsOf(task, 'after')).toHaveLength(0);
    expect(task.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['first', 'complete', 1],
      ['wobbly', 'error', 3],
      ['after', 'pending', 0],
    ]);
    expect(task.steps[1].results).toMatchObject({
      _error: { message: 'flaky failure 3', error_class: 'Error', retryable: true, attempt: 3 },
    });
  });

  it('does not retry a permanent error: the task fails at once', async () => {
    const task = await run('permanent');
    expect(task.status).toBe('error');
    expect(runsOf(task, 'charge')).toHaveLength(1);
    expect(task.steps[0]).toMatchObject({
      status: 'error',
      attempts: 1,
      retryable: false,
      results: { _error: { message: 'card declined', error_code: 'DECLINED', retryable: false } },
    });
    expect(task.steps[1].status).toBe('pending');
  });

  it('fails the task when one branch fails permanently while its sibling is still running', async () => {
    const task = await run('branch_fails_while_sibling_runs');
    expect(task.status).toBe('error');
    expect(task.steps.map((s) => [s.name, s.status])).toEqual([
      ['a', 'complete'],
      ['slow_ok', 'complete'],
      ['declined', 'error'],
      ['join', 'pending'],
    ]);
    expect(runsOf(task, 'join')).toHaveLength(0);
  });

  it('waits at least the Retry-After a handler asked for', async () => {
    const task = await run('retry_after');
    expect(task.status).toBe('complete');
    const [first, second] = runsOf(task, 'call');
    expect(second.start - first.end).toBeGreaterThanOrEqual(1000);
  });

  it('aborts a handler at its timeout and counts it as a failed attempt', async () => {
    const task = await run('timeout');
    expect(task.status).toBe('error');
    const attempts = runsOf(task, 'slow');
    expect(attempts).toHaveLength(2);
    for (const attempt of attempts) expect(attempt.end - attempt.start).toBeGreaterThanOrEqual(990);
    expect(task.steps[0].results).toMatchObject({ _error: { error_class: 'StepTimeoutError' } });
  });

  it('runs a step whose template says default_retryable: false once, and not again', async () => {
    failuresBeforeSuccess = { only: 1 };
    const task = await run('once');
    expect(task.status).toBe('error');
    expect(runsOf(task, 'only')).toHaveLength(1);
    failuresBeforeSuccess = {};
    expect((await run('once')).status).toBe('complete');
  });

  it('cancels a running task: the handler sees its signal abort and nothing else runs', async () => {
    let started!: () => void;
    const startedPromise = new Promise<void>((resolve) => (started = resolve));
    gates.set('wait', { release: () => started(), started: startedPromise });
    const created = await engine.createTask({ name: 'gated', context: {} });
    await startedPromise;
    const cancelled = await engine.cancelTask(created.taskId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.steps.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [wait] = runsOf(created, 'wait');
    expect(wait).toBeDefined();
    expect(runsOf(created, 'next')).toHaveLength(0);
    const after = await engine.getTask(created.taskId);
    expect(after?.steps.map((s) => [s.status, s.inProcess])).toEqual([
      ['cancelled', false],
      ['cancelled', false],
    ]);
    await expect(engine.cancelTask(created.taskId)).rejects.toBeInstanceOf(IllegalTransitionError);
  });

  it('retryTask gives exhausted steps new attempts and the task completes', async () => {
    failuresBeforeSuccess = { wobbly: 10 };
    const failed = await run('flaky');
    expect(failed.status).toBe('error');
    failuresBeforeSuccess = {};
    const retried = await engine.retryTask(failed.taskId);
    expect(['pending', 'in_progress', 'complete']).toContain(retried.status);
    const done = await engine.runUntilSettled(failed.taskId);
    expect(done.status).toBe('complete');
    expect(runsOf(done, 'wobbly')).toHaveLength(4);
    expect(runsOf(done, 'first')).toHaveLength(1);
    expect(runsOf(done, 'after')).toHaveLength(1);
    await expect(engine.retryTask(done.taskId)).rejects.toBeInstanceOf(IllegalTransitionError);
  });

  it('resolveStep resolves a failed step by hand with results, and the DAG continues', async () => {
    const failed = await run('permanent');
    const charge = failed.steps[0];
    const resolved = await engine.resolveStep(failed.taskId, charge.workflowStepId, {
      paymentId: 'manual-1',
    });
    expect(resolved.steps[0]).toMatchObject({
      status: 'resolved_manually',
      results: { paymentId: 'manual-1' },
    });
    const done = await engine.runUntilSettled(failed.taskId);
    expect(done.status).toBe('complete');
    expect(done.steps.map((s) => s.status)).toEqual(['resolved_manually', 'complete']);
    expect(runsOf(done, 'ship')).toHaveLength(1);
    await expect(engine.resolveStep(failed.taskId, done.steps[1].workflowStepId)).rejects.toBeInstanceOf(
      IllegalTransitionError,
    );
  });

  it('publishes the task and step lifecycle events in order', async () => {
    const seen: string[] = [];
    const unsubscribe = engine.events.subscribe('*', (event) => {
      if (event.payload.task_id !== undefined)
        seen.push(`${event.name}:${String(event.payload.step_name ?? '')}`);
    });
    try {
      const created = await engine.createTask({ name: 'diamond', context: {} });
      await engine.runUntilSettled(created.taskId);
      const forTask = seen;
      expect(forTask[0]).toBe('task.initialize_requested:');
      expect(forTask).toContain('task.start_requested:');
      expect(forTask.at(-1)).toBe('task.completed:');
      for (const name of ['a', 'b', 'c', 'd']) {
        expect(forTask.filter((e) => e === `step.execution_requested:${name}`)).toHaveLength(1);
        expect(forTask.filter((e) => e === `step.completed:${name}`)).toHaveLength(1);
      }
      expect(forTask.indexOf('step.completed:a')).toBeLessThan(forTask.indexOf('step.execution_requested:b'));
    } finally {
      unsubscribe();
    }
  });
});
