import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import type { TransitionEvent } from '../../src/events/transition-event';
import { defineTask } from '../../src/registry/define-task';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_WORKER, testEngine } from '../support/engine';

const linear = defineTask({
  name: 'feed_linear',
  namespaceName: 'feed',
  stepTemplates: [
    { name: 'a', handlerClass: 'Ok' },
    { name: 'b', handlerClass: 'Ok', dependsOnStep: 'a' },
  ],
});

describe('engine.onTransition', () => {
  let db: TestDatabase;
  let api: TaskerEngine;
  let worker: TaskerEngine;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = testEngine(db, { tasks: [linear] });
    worker = testEngine(db, { tasks: [linear], stepHandlers: { Ok: () => ({}) }, worker: FAST_WORKER });
    await Promise.all([api.ready(), worker.ready()]);
  });
  afterAll(async () => {
    await Promise.all([api.close(), worker.close()]);
    await db.drop();
  });

  it('delivers every transition committed by another engine, in commit order, through PostgreSQL', async () => {
    const seen: TransitionEvent[] = [];
    const unsubscribe = await api.onTransition((event) => seen.push(event));
    try {
      const other = await api.createTask({ name: 'feed_linear', namespace: 'feed', context: {} });
      const task = await api.createTask({ name: 'feed_linear', namespace: 'feed', context: {} });
      await api.runUntilSettled(task.taskId);
      await api.runUntilSettled(other.taskId);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const forTask = seen.filter((event) => event.taskId === task.taskId);
      expect(forTask.map((e) => `${e.event}:${e.stepName ?? ''}:${e.fromState}→${e.toState}`)).toEqual([
        'task.initialize_requested::null→pending',
        'step.execution_requested:a:pending→in_progress',
        'task.start_requested::pending→in_progress',
        'step.completed:a:in_progress→complete',
        'step.execution_requested:b:pending→in_progress',
        'step.completed:b:in_progress→complete',
        'task.completed::in_progress→complete',
      ]);
      expect(forTask.every((e) => e.namespace === 'feed')).toBe(true);
      expect(seen.some((event) => event.taskId === other.taskId)).toBe(true);
    } finally {
      unsubscribe();
    }
  });
});
