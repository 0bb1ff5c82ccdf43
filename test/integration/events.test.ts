import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import type { TaskerEvent } from '../../src/events/event-bus';
import { PermanentError } from '../../src/handlers/step-errors';
import type { StepHandlerMap } from '../../src/handlers/step-handler';
import type { Task } from '../../src/interfaces';
import { defineTask } from '../../src/registry/define-task';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER, testEngine } from '../support/engine';

/** What `ctx.publish` threw for an undeclared name, by task id. */
const publishErrors = new Map<number, unknown>();

const handlers: StepHandlerMap = {
  Ok: (ctx) => ({ step: ctx.step.name }),
  FailsOnce: (ctx) => {
    if (ctx.step.attempts === 1) throw new Error('first attempt fails');
    return { recovered: true };
  },
  AlwaysFails: () => {
    throw new Error('never works');
  },
  Ship: (ctx) => {
    ctx.publish('order.shipped', { parcel: 'P-1' });
    ctx.publish('order.received', { lines: 2 });
    return { shipped: true };
  },
  Undeclared: (ctx) => {
    try {
      ctx.publish('order.lost', {});
    } catch (error) {
      publishErrors.set(ctx.task.taskId, error);
      throw error;
    }
  },
};

const definitions = [
  defineTask({
    name: 'diamond',
    namespaceName: 'events',
    stepTemplates: [
      { name: 'a', handlerClass: 'Ok' },
      { name: 'b', handlerClass: 'FailsOnce', dependsOnStep: 'a', defaultRetryLimit: 3 },
      { name: 'c', handlerClass: 'Ok', dependsOnStep: 'a' },
      { name: 'd', handlerClass: 'Ok', dependsOnSteps: ['b', 'c'] },
    ],
  }),
  defineTask({
    name: 'exhausted',
    namespaceName: 'events',
    stepTemplates: [{ name: 'flaky', handlerClass: 'AlwaysFails', defaultRetryLimit: 2 }],
  }),
  defineTask({
    name: 'shipping',
    namespaceName: 'events',
    customEvents: [{ name: 'order.received', description: 'An order reached the warehouse' }],
    stepTemplates: [
      {
        name: 'ship',
        handlerClass: 'Ship',
        customEvents: [{ name: 'order.shipped', description: 'A parcel left the warehouse' }],
      },
      { name: 'loose', handlerClass: 'Undeclared', dependsOnStep: 'ship', defaultRetryLimit: 3 },
    ],
  }),
];

interface Recorder {
  /** Everything received, in delivery order. */
  all: TaskerEvent[];
  /** The events of one task, in delivery order. */
  of: (taskId: number) => TaskerEvent[];
  stop: () => void;
}

function recorder(engine: TaskerEngine, pattern: string): Recorder {
  const all: TaskerEvent[] = [];
  const stop = engine.events.subscribe(pattern, (event) => {
    all.push(event);
  });
  return { all, of: (taskId) => all.filter((event) => event.payload.task_id === taskId), stop };
}

function stepIdOf(task: Task, name: string): number {
  return task.steps.find((s) => s.name === name)?.workflowStepId as number;
}

/** The names of one step's events (lifecycle, backoff, max retries, custom), in order. */
function stepSequence(events: TaskerEvent[], stepId: number): string[] {
  return events.filter((event) => event.payload.step_id === stepId).map((event) => event.name);
}

describe('engine events', () => {
  let db: TestDatabase;
  let engine: TaskerEngine;
  let everything: Recorder;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = testEngine(db, {
      tasks: definitions,
      stepHandlers: handlers,
      worker: FAST_WORKER,
      backoff: FAST_BACKOFF,
    });
    everything = recorder(engine, '*');
    await engine.ready();
  });
  afterAll(async () => {
    everything.stop();
    await engine.close();
    await db.drop();
  });

  async function run(name: string): Promise<Task> {
    const created = await engine.createTask({ name, namespace: 'events', context: {} });
    return engine.runUntilSettled(created.taskId, { timeoutMs: 20_000 });
  }

  it('emits each event of a diamond with one retry exactly once, in order', async () => {
    const steps = recorder(engine, 'step.*');
    const task = await run('diamond');
    steps.stop();
    expect(task.status).toBe('complete');
    const events = everything.of(task.taskId);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => stepIdOf(task, name));
    const position = (name: string, stepId?: number, nth = 0) =>
      events
        .map((event, index) => ({ event, index }))
        .filter(
          ({ event }) => event.name === name && (stepId === undefined || event.payload.step_id === stepId),
        )
        .map(({ index }) => index)[nth] ?? -1;

    const taskEvents = events.filter((event) => event.name.startsWith('task.'));
    expect(taskEvents.map((event) => [event.name, event.payload.from_state, event.payload.to_state])).toEqual(
      [
        ['task.initialize_requested', null, 'pending'],
        ['task.start_requested', 'pending', 'in_progress'],
        ['task.completed', 'in_progress', 'complete'],
      ],
    );
    const lifecycle = (events: TaskerEvent[], stepId: number) =>
      events
        .filter((event) => event.payload.step_id === stepId)
        .map((event) => [event.name, event.payload.attempt_number ?? event.payload.attempt]);
    const once = [
      ['step.execution_requested', 0],
      ['step.completed', 1],
    ];
    expect(lifecycle(events, a)).toEqual(once);
    expect(lifecycle(events, b)).toEqual([
      ['step.execution_requested', 0],
      ['step.failed', 1],
      ['observability.step.backoff', 1],
      ['step.retry_requested', 1],
      ['step.execution_requested', 1],
      ['step.completed', 2],
    ]);
    expect(lifecycle(events, c)).toEqual(once);
    expect(lifecycle(events, d)).toEqual(once);
    expect(events.find((event) => event.name === 'observability.step.backoff')?.payload).toMatchObject({
      task_id: task.taskId,
      step_id: b,
      step_name: 'b',
      attempt: 1,
      backoff_seconds: 0.05,
      backoff_type: 'exponential',
    });
    expect(events.filter((event) => event.name === 'step.failed')[0].payload.metadata).toMatchObject({
      error_message: 'first attempt fails',
      retry_available: true,
    });

    const discovered = events.filter((event) => event.name === 'workflow.viable_steps_discovered');
    expect(discovered.map((event) => [event.payload.step_ids, event.payload.step_count])).toEqual([
      [[a], 1],
      [[b, c].sort((x, y) => x - y), 2],
      [[d], 1],
    ]);
    const enqueued = events.filter((event) => event.name === 'observability.task.enqueue');
    expect(enqueued.map((event) => event.payload)).toEqual([
      {
        task_id: task.taskId,
        task_name: 'diamond',
        namespace: 'events',
        version: '0.1.0',
        queue_name: 'tasker.events',
        step_ids: [a],
        step_count: 1,
      },
    ]);
    // Every event is accounted for above: nothing was emitted twice or unexpectedly.
    const stepEvents = [a, b, c, d].flatMap((stepId) => lifecycle(events, stepId));
    expect(events).toHaveLength(taskEvents.length + stepEvents.length + discovered.length + enqueued.length);

    expect(events[0].name).toBe('task.initialize_requested');
    expect(events.at(-1)?.name).toBe('task.completed');
    expect(position('observability.task.enqueue')).toBeLessThan(position('step.execution_requested', a));
    for (const branch of [b, c]) {
      expect(position('step.completed', a)).toBeLessThan(position('step.execution_requested', branch));
      expect(position('step.completed', branch)).toBeLessThan(position('step.execution_requested', d));
    }
    expect(position('workflow.viable_steps_discovered', undefined, 1)).toBeLessThan(
      Math.min(position('step.execution_requested', b), position('step.execution_requested', c)),
    );
    expect(position('workflow.viable_steps_discovered', undefined, 2)).toBeLessThan(
      position('step.execution_requested', d),
    );

    const stepOnly = steps.of(task.taskId);
    expect(stepOnly.every((event) => event.name.startsWith('step.'))).toBe(true);
    expect(stepOnly).toEqual(events.filter((event) => event.name.startsWith('step.')));
  });

  it('reports max_retries_reached once when a step fails its last attempt', async () => {
    const task = await run('exhausted');
    expect(task.status).toBe('error');
    const events = everything.of(task.taskId);
    const flaky = stepIdOf(task, 'flaky');
    expect(stepSequence(events, flaky)).toEqual([
      'step.execution_requested',
      'step.failed',
      'observability.step.backoff',
      'step.retry_requested',
      'step.execution_requested',
      'step.failed',
      'observability.step.max_retries_reached',
    ]);
    expect(
      events.find((event) => event.name === 'observability.step.max_retries_reached')?.payload,
    ).toMatchObject({
      step_name: 'flaky',
      attempts: 2,
      retry_limit: 2,
      error_class: 'Error',
      error_message: 'never works',
    });
    expect(events.at(-1)?.name).toBe('task.failed');
  });

  it('delivers a declared custom event once, after its step outcome commits, with the added fields', async () => {
    const task = await run('shipping');
    const events = everything.of(task.taskId);
    const ship = stepIdOf(task, 'ship');
    expect(stepSequence(events, ship)).toEqual([
      'step.execution_requested',
      'order.shipped',
      'order.received',
      'step.completed',
    ]);
    expect(events.find((event) => event.name === 'order.shipped')?.payload).toEqual({
      parcel: 'P-1',
      task_id: task.taskId,
      step_id: ship,
      step_name: 'ship',
      event_type: 'custom',
    });
  });

  it('fails a step permanently when its handler publishes an undeclared event, delivering nothing', async () => {
    const task = await run('shipping');
    const error = publishErrors.get(task.taskId);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ errorCode: 'UNDECLARED_EVENT' });
    const loose = task.steps.find((s) => s.name === 'loose');
    expect(loose).toMatchObject({ status: 'error', attempts: 1 });
    expect(task.status).toBe('error');
    const events = everything.of(task.taskId);
    expect(events.some((event) => event.name === 'order.lost')).toBe(false);
    expect(stepSequence(events, stepIdOf(task, 'loose'))).toEqual([
      'step.execution_requested',
      'step.failed',
    ]);
  });

  it('lists every emitted event and the declared custom events in the catalog', () => {
    const catalog = engine.events.catalog();
    const names = catalog.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    const emitted = new Set(everything.all.map((event) => event.name));
    expect(emitted).toEqual(
      new Set([
        'task.initialize_requested',
        'task.start_requested',
        'task.completed',
        'task.failed',
        'step.execution_requested',
        'step.completed',
        'step.failed',
        'step.retry_requested',
        'workflow.viable_steps_discovered',
        'observability.task.enqueue',
        'observability.step.backoff',
        'observability.step.max_retries_reached',
        'order.shipped',
        'order.received',
      ]),
    );
    for (const name of emitted) expect(names, name).toContain(name);
    expect(catalog.find((entry) => entry.name === 'observability.step.backoff')).toMatchObject({
      category: 'observability',
      payloadFields: expect.arrayContaining(['backoff_seconds', 'backoff_type', 'attempt']) as string[],
    });
    expect(catalog.filter((entry) => entry.category === 'custom')).toEqual([
      {
        name: 'order.received',
        category: 'custom',
        description: 'An order reached the warehouse',
        payloadFields: ['task_id', 'step_id', 'step_name', 'event_type'],
        firedBy: ['events.shipping@0.1.0'],
      },
      {
        name: 'order.shipped',
        category: 'custom',
        description: 'A parcel left the warehouse',
        payloadFields: ['task_id', 'step_id', 'step_name', 'event_type'],
        firedBy: ['events.shipping@0.1.0/ship'],
      },
    ]);
  });

  it('never fails a step or a task because a subscriber throws', async () => {
    const stop = engine.events.subscribe('*', () => {
      throw new Error('subscriber bug');
    });
    try {
      const task = await run('diamond');
      expect(task.status).toBe('complete');
      expect(everything.of(task.taskId).at(-1)?.name).toBe('task.completed');
    } finally {
      stop();
    }
  });
});
