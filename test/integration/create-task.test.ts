import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import {
  ContextValidationError,
  InvalidRequestError,
  NotFoundError,
  TaskConflictError,
} from '../../src/errors';
import type { TaskerEvent } from '../../src/events/event-bus';
import type { StepHandlerMap } from '../../src/handlers/step-handler';
import { defineTask } from '../../src/registry/define-task';
import type { JsonObject } from '../../src/registry/types';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_WORKER, testEngine } from '../support/engine';

const noop = () => ({});
const handlers: StepHandlerMap = { Noop: noop };

const diamond = defineTask({
  name: 'diamond',
  namespaceName: 'shapes',
  version: '1.0.0',
  schema: {
    type: 'object',
    required: ['email', 'amount'],
    properties: {
      email: { type: 'string', format: 'email' },
      amount: { type: 'number', minimum: 0 },
      customer: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
    },
  },
  stepTemplates: [
    { name: 'start', handlerClass: 'Noop', defaultRetryLimit: 5, timeoutSeconds: 30 },
    { name: 'left', handlerClass: 'Noop', dependsOnStep: 'start', skippable: true },
    { name: 'right', handlerClass: 'Noop', dependsOnStep: 'start', defaultRetryable: false },
    { name: 'join', handlerClass: 'Noop', dependsOnSteps: ['left', 'right'] },
  ],
});
const diamondV2 = defineTask({ ...fromDefinition(diamond), version: '1.10.0' });
const diamondV19 = defineTask({ ...fromDefinition(diamond), version: '1.9.0' });
const validContext = { email: 'ada@example.com', amount: 10 };

function fromDefinition(definition: typeof diamond) {
  return {
    name: definition.name,
    namespaceName: definition.namespaceName,
    version: definition.version,
    schema: definition.schema,
    stepTemplates: definition.stepTemplates.map((t) => ({
      name: t.name,
      handlerClass: t.handlerClass,
      dependsOnSteps: t.dependsOn,
      skippable: t.skippable,
    })),
  };
}

describe('engine.createTask', () => {
  let db: TestDatabase;
  let engine: TaskerEngine;
  const events: TaskerEvent[] = [];

  const count = async (table: string) =>
    (await db.pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = testEngine(db, { tasks: [diamond, diamondV2, diamondV19], stepHandlers: handlers });
    engine.events.subscribe('*', (event) => events.push(event));
    await engine.ready();
  });
  afterAll(async () => {
    await engine.close();
    await db.drop();
  });

  it('writes the task, its steps and edges, and an initial pending transition', async () => {
    const task = await engine.createTask({
      name: 'diamond',
      namespace: 'shapes',
      version: '1.0.0',
      context: validContext,
      initiator: 'test',
      tags: ['a', 'b'],
    });
    expect(task).toMatchObject({
      name: 'diamond',
      namespace: 'shapes',
      version: '1.0.0',
      fullName: 'shapes.diamond@1.0.0',
      status: 'pending',
      complete: false,
      initiator: 'test',
      sourceSystem: 'unknown',
      reason: 'unknown',
      tags: ['a', 'b'],
      context: validContext,
    });
    expect(task.steps.map((s) => [s.name, s.status, s.dependsOn])).toEqual([
      ['start', 'pending', []],
      ['left', 'pending', ['start']],
      ['right', 'pending', ['start']],
      ['join', 'pending', ['left', 'right']],
    ]);
    expect(task.steps[0]).toMatchObject({ retryLimit: 5, retryable: true, timeoutSeconds: 30, attempts: 0 });
    expect(task.steps[2]).toMatchObject({ retryable: false, retryLimit: 3 });

    expect(await engine.getTask(task.taskId)).toEqual(task);

    const { rows: dag } = await db.pool.query(
      `SELECT parent_count, child_count, is_root_step, is_leaf_step, min_depth_from_root
         FROM tasker_step_dag_relationships WHERE task_id = $1 ORDER BY workflow_step_id`,
      [task.taskId],
    );
    expect(dag).toEqual([
      { parent_count: 0, child_count: 2, is_root_step: true, is_leaf_step: false, min_depth_from_root: 0 },
      { parent_count: 1, child_count: 1, is_root_step: false, is_leaf_step: false, min_depth_from_root: 1 },
      { parent_count: 1, child_count: 1, is_root_step: false, is_leaf_step: false, min_depth_from_root: 1 },
      { parent_count: 2, child_count: 0, is_root_step: false, is_leaf_step: true, min_depth_from_root: 2 },
    ]);
    const { rows: transitions } = await db.pool.query(
      'SELECT from_state, to_state, sort_key, most_recent, metadata FROM tasker_task_transitions WHERE task_id = $1',
      [task.taskId],
    );
    expect(transitions).toEqual([
      { from_state: null, to_state: 'pending', sort_key: 0, most_recent: true, metadata: { step_count: 4 } },
    ]);
    const { rows: queued } = await db.pool.query(
      'SELECT name FROM get_step_readiness_status($1) WHERE in_process',
      [task.taskId],
    );
    expect(queued).toEqual([{ name: 'start' }]);
    expect(task.steps.map((s) => s.inProcess)).toEqual([true, false, false, false]);
    const { rows: jobs } = await db.pool.query(
      `SELECT name, data, state FROM tasker_pgboss.job WHERE (data->>'taskId')::bigint = $1`,
      [task.taskId],
    );
    expect(jobs).toEqual([
      {
        name: 'tasker.shapes',
        data: { taskId: task.taskId, stepId: task.steps[0].workflowStepId },
        state: 'created',
      },
    ]);
  });

  it('publishes task.initialize_requested and the first jobs once the task is committed', async () => {
    events.length = 0;
    const task = await engine.createTask({ name: 'diamond', namespace: 'shapes', context: validContext });
    expect(events.map((e) => e.name)).toEqual([
      'task.initialize_requested',
      'workflow.viable_steps_discovered',
      'observability.task.enqueue',
    ]);
    expect(events[0].payload).toMatchObject({
      task_id: task.taskId,
      task_name: 'diamond',
      namespace: 'shapes',
      from_state: null,
      to_state: 'pending',
    });
  });

  it('resolves an omitted version and "latest" to the highest semver', async () => {
    expect(
      (await engine.createTask({ name: 'diamond', namespace: 'shapes', context: validContext })).version,
    ).toBe('1.10.0');
    const latest = await engine.createTask({
      name: 'diamond',
      namespace: 'shapes',
      version: 'latest',
      context: validContext,
    });
    expect(latest.fullName).toBe('shapes.diamond@1.10.0');
  });

  it('rejects an unknown task, namespace or version without writing anything', async () => {
    const before = await count('tasker_tasks');
    await expect(engine.createTask({ name: 'nope', context: {} })).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      engine.createTask({ name: 'diamond', namespace: 'elsewhere', context: validContext }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      engine.createTask({ name: 'diamond', namespace: 'shapes', version: '9.9.9', context: validContext }),
    ).rejects.toThrow(/9\.9\.9/);
    expect(await count('tasker_tasks')).toBe(before);
  });

  it('reports every context error with a JSON pointer and writes nothing', async () => {
    const before = await Promise.all(
      ['tasker_tasks', 'tasker_workflow_steps', 'tasker_task_transitions'].map(count),
    );
    const attempt = engine.createTask({
      name: 'diamond',
      namespace: 'shapes',
      context: { email: 'not-an-email', amount: -1, customer: {} },
    });
    await expect(attempt).rejects.toBeInstanceOf(ContextValidationError);
    const error = (await attempt.catch((e: unknown) => e)) as ContextValidationError;
    expect(error.code).toBe('CONTEXT_INVALID');
    expect(error.details).toEqual(
      expect.arrayContaining([
        { path: '/email', message: 'must match format "email"' },
        { path: '/amount', message: 'must be >= 0' },
        { path: '/customer/id', message: 'is required' },
      ]),
    );
    expect(error.details).toHaveLength(3);
    expect(error.message).toContain('shapes.diamond@1.10.0');
    const missing = (await engine
      .createTask({ name: 'diamond', namespace: 'shapes', context: {} })
      .catch((e: unknown) => e)) as ContextValidationError;
    expect(missing.details.map((d) => d.path).sort()).toEqual(['/amount', '/email']);
    expect(
      await Promise.all(['tasker_tasks', 'tasker_workflow_steps', 'tasker_task_transitions'].map(count)),
    ).toEqual(before);
  });

  it('refuses a context nested deeper than 100 levels (it could not be stored) before writing anything', async () => {
    let context: JsonObject = { email: 'ada@example.com', amount: 1 };
    for (let i = 0; i < 10_000; i++) context = { email: 'ada@example.com', amount: 1, nested: context };
    const before = await count('tasker_tasks');
    const error = (await engine
      .createTask({ name: 'diamond', namespace: 'shapes', context })
      .catch((e: unknown) => e)) as InvalidRequestError;
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toContain('nests deeper than 100 levels');
    expect(await count('tasker_tasks')).toBe(before);
  });

  it('rejects a malformed request with per-field details', async () => {
    const bad = { name: '', context: 'nope', tags: [1], colour: 'red' } as unknown as Parameters<
      TaskerEngine['createTask']
    >[0];
    const error = (await engine.createTask(bad).catch((e: unknown) => e)) as InvalidRequestError;
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.details.map((d) => d.path).sort()).toEqual(['/colour', '/context', '/name', '/tags/0']);
  });

  it('skips bypassed skippable steps by resolving them manually, so their children can run', async () => {
    const task = await engine.createTask({
      name: 'diamond',
      namespace: 'shapes',
      context: validContext,
      bypassSteps: ['left'],
    });
    expect(task.steps.find((s) => s.name === 'left')?.status).toBe('resolved_manually');
    expect((await engine.getTask(task.taskId))?.steps.map((s) => s.status)).toEqual([
      'pending',
      'resolved_manually',
      'pending',
      'pending',
    ]);
    const { rows } = await db.pool.query(
      `SELECT st.from_state, st.to_state, st.metadata FROM tasker_workflow_step_transitions st
         JOIN tasker_workflow_steps ws USING (workflow_step_id) WHERE ws.task_id = $1`,
      [task.taskId],
    );
    expect(rows).toEqual([
      { from_state: 'pending', to_state: 'resolved_manually', metadata: { resolved_by: 'bypass_steps' } },
    ]);
  });

  it('refuses to bypass a step that is not skippable or does not exist', async () => {
    const error = (await engine
      .createTask({
        name: 'diamond',
        namespace: 'shapes',
        context: validContext,
        bypassSteps: ['right', 'ghost'],
      })
      .catch((e: unknown) => e)) as InvalidRequestError;
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.details).toEqual([
      { path: '/bypassSteps/0', message: "step 'right' is not skippable" },
      { path: '/bypassSteps/1', message: "names no step of this task ('ghost')" },
    ]);
  });

  it('creates a 1,000-step task in one transaction', async () => {
    const wide = defineTask({
      name: 'wide',
      stepTemplates: [
        { name: 'root', handlerClass: 'Noop' },
        ...Array.from({ length: 999 }, (_, i) => ({
          name: `leaf_${i}`,
          handlerClass: 'Noop',
          dependsOnStep: 'root',
        })),
      ],
    });
    engine.register(wide);
    const started = performance.now();
    const task = await engine.createTask({ name: 'wide', context: {} });
    const elapsed = performance.now() - started;
    console.log(`1,000-step task created in ${elapsed.toFixed(1)} ms`);
    expect(task.steps).toHaveLength(1000);
    const { rows } = await db.pool.query<{ steps: number; edges: number }>(
      `SELECT (SELECT count(*) FROM tasker_workflow_steps WHERE task_id = $1) AS steps,
              (SELECT count(*) FROM tasker_workflow_step_edges e JOIN tasker_workflow_steps ws ON ws.workflow_step_id = e.to_step_id WHERE ws.task_id = $1) AS edges`,
      [task.taskId],
    );
    expect(rows[0]).toEqual({ steps: 1000, edges: 999 });
  });

  it('creates many tasks of a new definition concurrently', async () => {
    const fresh = defineTask({
      name: 'fresh',
      namespaceName: 'brand_new',
      stepTemplates: [{ name: 'only', handlerClass: 'Noop', dependentSystem: 'new_system' }],
    });
    engine.register(fresh);
    const tasks = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        engine.createTask({ name: 'fresh', namespace: 'brand_new', context: { i } }),
      ),
    );
    expect(new Set(tasks.map((t) => t.taskId)).size).toBe(20);
  });
});

describe('identity strategies', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('default: identical requests create distinct tasks', async () => {
    const engine = testEngine(db, { tasks: [diamond], stepHandlers: handlers });
    try {
      const request = { name: 'diamond', namespace: 'shapes', context: validContext };
      const [a, b] = [await engine.createTask(request), await engine.createTask(request)];
      expect(a.taskId).not.toBe(b.taskId);
      expect(a.identityHash).not.toBe(b.identityHash);
    } finally {
      await engine.close();
    }
  });

  it('hash: a duplicate within the minute is a conflict and writes nothing; a different initiator is not', async () => {
    const engine = testEngine(db, { tasks: [diamond], stepHandlers: handlers, identityStrategy: 'hash' });
    const events: string[] = [];
    engine.events.subscribe('*', (event) => events.push(event.name));
    try {
      const requestedAt = new Date();
      const request = {
        name: 'diamond',
        namespace: 'shapes',
        context: validContext,
        requestedAt,
        initiator: 'me',
      };
      const first = await engine.createTask(request);
      expect(first.identityHash).toMatch(/^[0-9a-f]{64}$/);
      const { rows: before } = await db.pool.query<{ n: number }>('SELECT count(*) AS n FROM tasker_tasks');
      const conflict = (await engine.createTask(request).catch((e: unknown) => e)) as TaskConflictError;
      expect(conflict).toBeInstanceOf(TaskConflictError);
      expect(conflict.code).toBe('CONFLICT');
      expect(conflict.identityHash).toBe(first.identityHash);
      const { rows: after } = await db.pool.query<{ n: number }>('SELECT count(*) AS n FROM tasker_tasks');
      expect(after[0].n).toBe(before[0].n);
      expect(events).toEqual([
        'task.initialize_requested',
        'workflow.viable_steps_discovered',
        'observability.task.enqueue',
      ]);
      await expect(engine.createTask({ ...request, initiator: 'someone else' })).resolves.toMatchObject({
        status: 'pending',
      });
    } finally {
      await engine.close();
    }
  });

  it('custom: the function decides the identity, and a repeat conflicts', async () => {
    const engine = testEngine(db, {
      tasks: [diamond],
      stepHandlers: handlers,
      identityStrategy: (identity) => `order-${String(identity.context.amount)}-${identity.initiator}`,
    });
    try {
      const request = {
        name: 'diamond',
        namespace: 'shapes',
        context: { ...validContext, amount: 77 },
        initiator: 'x',
      };
      expect((await engine.createTask(request)).identityHash).toBe('order-77-x');
      await expect(engine.createTask(request)).rejects.toBeInstanceOf(TaskConflictError);
    } finally {
      await engine.close();
    }
  });

  it('creations submitted together share a transaction; a duplicate among them conflicts alone', async () => {
    const engine = testEngine(db, {
      tasks: [diamond],
      stepHandlers: handlers,
      identityStrategy: (identity) => `batch-${String(identity.context.amount)}`,
      worker: FAST_WORKER,
    });
    try {
      // Submitted in one tick: one batch. Amount 3 appears twice.
      const amounts = [1, 2, 3, 4, 3, 5];
      const settled = await Promise.allSettled(
        amounts.map((amount) =>
          engine.createTask({ name: 'diamond', namespace: 'shapes', context: { ...validContext, amount } }),
        ),
      );
      expect(settled.map((s) => s.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect((settled[4] as PromiseRejectedResult).reason).toBeInstanceOf(TaskConflictError);
      const created = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      expect(new Set(created.map((task) => task.taskId)).size).toBe(5);
      for (const task of created) {
        const stored = await engine.getTask(task.taskId);
        expect(stored?.identityHash).toBe(task.identityHash);
        expect(task.steps.map((step) => [step.name, step.inProcess])).toEqual([
          ['start', true],
          ['left', false],
          ['right', false],
          ['join', false],
        ]);
        const settledTask = await engine.runUntilSettled(task.taskId);
        expect(settledTask.status).toBe('complete');
      }
    } finally {
      await engine.close();
    }
  });
});
