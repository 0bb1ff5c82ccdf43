import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/transaction';
import type { TaskerEngine } from '../../src/engine';
import { IllegalTransitionError, NotFoundError } from '../../src/errors';
import { EventBus, type TaskerEvent } from '../../src/events/event-bus';
import type { Task } from '../../src/interfaces';
import { defineTask } from '../../src/registry/define-task';
import type { StepState, TaskState } from '../../src/state/states';
import { TransitionService } from '../../src/state/transition-service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testEngine } from '../support/engine';

const chain = defineTask({
  name: 'chain',
  stepTemplates: [
    { name: 'a', handlerClass: 'Noop' },
    { name: 'b', handlerClass: 'Noop', dependsOnStep: 'a' },
    { name: 'c', handlerClass: 'Noop', dependsOnSteps: ['a', 'b'] },
  ],
});

describe('TransitionService', () => {
  let db: TestDatabase;
  let engine: TaskerEngine;
  let service: TransitionService;
  let events: TaskerEvent[];
  let task: Task;

  const step = (name: string) => task.steps.find((s) => s.name === name)?.workflowStepId as number;
  const moveTask = (to: TaskState, metadata?: Record<string, unknown>) =>
    withTransaction(db.pool, (tx) => service.transitionTask(tx, task.taskId, to, metadata));
  const moveStep = (name: string, to: StepState, metadata?: Record<string, unknown>) =>
    withTransaction(db.pool, (tx) => service.transitionStep(tx, step(name), to, metadata));
  const moveSteps = (path: Array<[string, StepState]>) =>
    path.reduce<Promise<unknown>>(
      (previous, [name, to]) => previous.then(() => moveStep(name, to)),
      Promise.resolve(),
    );
  const taskRows = async () =>
    (
      await db.pool.query(
        'SELECT from_state, to_state, sort_key, most_recent FROM tasker_task_transitions WHERE task_id = $1 ORDER BY sort_key',
        [task.taskId],
      )
    ).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = testEngine(db, { tasks: [chain], stepHandlers: { Noop: () => ({}) } });
    await engine.ready();
  });
  afterAll(async () => {
    await engine.close();
    await db.drop();
  });
  beforeEach(async () => {
    task = await engine.createTask({ name: 'chain', context: {} });
    events = [];
    const bus = new EventBus();
    bus.subscribe('*', (event) => events.push(event));
    service = new TransitionService(bus);
  });

  it('appends task transitions, flipping most_recent and stepping the sort key by 10', async () => {
    await moveTask('in_progress');
    await moveTask('pending');
    expect(await taskRows()).toEqual([
      { from_state: null, to_state: 'pending', sort_key: 0, most_recent: false },
      { from_state: 'pending', to_state: 'in_progress', sort_key: 10, most_recent: false },
      { from_state: 'in_progress', to_state: 'pending', sort_key: 20, most_recent: true },
    ]);
    expect((await engine.getTask(task.taskId))?.status).toBe('pending');
  });

  it('refuses task transitions the table forbids, and a same-state transition', async () => {
    await expect(moveTask('complete')).rejects.toThrow(/'pending' → 'complete' is not an allowed transition/);
    await expect(moveTask('resolved_manually')).rejects.toBeInstanceOf(IllegalTransitionError);
    await moveTask('cancelled');
    const error = (await moveTask('cancelled').catch((e: unknown) => e)) as IllegalTransitionError;
    expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', fromState: 'cancelled', toState: 'cancelled' });
    await expect(moveTask('pending')).rejects.toBeInstanceOf(IllegalTransitionError);
    expect((await taskRows()).map((r) => r.to_state)).toEqual(['pending', 'cancelled']);
  });

  it('completes a task only when every step is complete or resolved manually, and sets tasks.complete', async () => {
    await moveTask('in_progress');
    await expect(moveTask('complete')).rejects.toThrow(/3 step\(s\) are not complete/);
    await moveSteps([
      ['a', 'in_progress'],
      ['a', 'complete'],
      ['b', 'resolved_manually'],
      ['c', 'in_progress'],
      ['c', 'complete'],
    ]);
    await moveTask('complete', { finalized_by: 'test' });
    const completed = await engine.getTask(task.taskId);
    expect(completed).toMatchObject({ status: 'complete', complete: true });
    await expect(moveTask('error')).rejects.toBeInstanceOf(IllegalTransitionError);
    await moveTask('cancelled');
  });

  it('lets a step start only when all its parents are complete or resolved manually', async () => {
    await expect(moveStep('b', 'in_progress')).rejects.toThrow(/parent steps are not all complete/);
    await moveSteps([
      ['a', 'in_progress'],
      ['a', 'error'],
    ]);
    await expect(moveStep('b', 'in_progress')).rejects.toBeInstanceOf(IllegalTransitionError);
    await moveSteps([
      ['a', 'pending'],
      ['a', 'in_progress'],
      ['a', 'complete'],
      ['b', 'in_progress'],
    ]);
    await expect(moveStep('c', 'in_progress')).rejects.toBeInstanceOf(IllegalTransitionError);
    await moveStep('b', 'complete');
    await moveStep('c', 'in_progress');
  });

  it('refuses step transitions the table forbids', async () => {
    await expect(moveStep('a', 'complete')).rejects.toThrow(/'pending' → 'complete'/);
    await moveSteps([
      ['a', 'in_progress'],
      ['a', 'error'],
    ]);
    await expect(moveStep('a', 'complete')).rejects.toBeInstanceOf(IllegalTransitionError);
    await moveStep('a', 'resolved_manually');
    await expect(moveStep('a', 'pending')).rejects.toThrow(/'resolved_manually' → 'pending'/);
  });

  it('publishes the mapped events in order, only after the transaction commits', async () => {
    await moveTask('in_progress', { reason: 'test' });
    await moveSteps([
      ['a', 'in_progress'],
      ['a', 'error'],
      ['a', 'pending'],
    ]);
    await withTransaction(db.pool, async (tx) => {
      await service.transitionStep(tx, step('a'), 'in_progress');
      expect(events).toHaveLength(4);
    });
    expect(events.map((e) => e.name)).toEqual([
      'task.start_requested',
      'step.execution_requested',
      'step.failed',
      'step.retry_requested',
      'step.execution_requested',
    ]);
    expect(events[0].payload).toMatchObject({
      task_id: task.taskId,
      task_name: 'chain',
      from_state: 'pending',
      to_state: 'in_progress',
      metadata: { reason: 'test' },
    });
    expect(events[2].payload).toMatchObject({
      step_id: step('a'),
      step_name: 'a',
      from_state: 'in_progress',
      to_state: 'error',
    });
  });

  it('writes nothing and publishes nothing when the surrounding transaction rolls back', async () => {
    await expect(
      withTransaction(db.pool, async (tx) => {
        await service.transitionTask(tx, task.taskId, 'in_progress');
        throw new Error('the data change failed');
      }),
    ).rejects.toThrow('the data change failed');
    expect(events).toEqual([]);
    expect((await taskRows()).map((r) => r.to_state)).toEqual(['pending']);
  });

  it('cancels many steps in one batch, skipping those that may not move when asked to', async () => {
    await moveSteps([
      ['a', 'in_progress'],
      ['a', 'complete'],
    ]);
    const results = await withTransaction(db.pool, (tx) =>
      service.transitionSteps(
        tx,
        task.steps.map((s) => s.workflowStepId),
        'cancelled',
        {},
        { skipDisallowed: true },
      ),
    );
    expect(results.map((r) => [r.stepName, r.fromState, r.toState])).toEqual([
      ['b', 'pending', 'cancelled'],
      ['c', 'pending', 'cancelled'],
    ]);
    expect((await engine.getTask(task.taskId))?.steps.map((s) => s.status)).toEqual([
      'complete',
      'cancelled',
      'cancelled',
    ]);
    await expect(
      withTransaction(db.pool, (tx) => service.transitionSteps(tx, [step('a')], 'cancelled')),
    ).rejects.toBeInstanceOf(IllegalTransitionError);
  });

  it('reports unknown tasks and steps as not found', async () => {
    await expect(
      withTransaction(db.pool, (tx) => service.transitionTask(tx, 999_999, 'in_progress')),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      withTransaction(db.pool, (tx) => service.transitionStep(tx, 999_999, 'in_progress')),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('serialises concurrent transitions of one task through the row lock', async () => {
    const outcomes = await Promise.allSettled([
      moveTask('in_progress'),
      moveTask('in_progress'),
      moveTask('in_progress'),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(
      outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason),
    ).toEqual([expect.any(IllegalTransitionError), expect.any(IllegalTransitionError)]);
    expect((await taskRows()).map((r) => r.sort_key)).toEqual([0, 10]);
  });
});
