import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTask } from '../../src/registry';
import type { StepHandlerMap } from '../../src/handlers/step-handler';
import {
  createTestDatabase,
  createTestEngine,
  expectStepStates,
  expectTaskStatus,
  failingHandler,
  lastStepError,
  recordingHandler,
  retryAfterHandler,
  runTask,
  stepNamed,
  type TestDatabase,
} from '../../src/testing';

const pair = (namespaceName: string, retryLimit = 3) =>
  defineTask({
    name: 'pair',
    namespaceName,
    stepTemplates: [
      { name: 'first', handlerClass: 'First', defaultRetryLimit: retryLimit },
      { name: 'second', handlerClass: 'Second', dependsOnStep: 'first' },
    ],
  });

describe('step handler fakes on a real engine', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  async function run(namespace: string, handlers: StepHandlerMap, retryLimit = 3) {
    const engine = createTestEngine(db, { tasks: [pair(namespace, retryLimit)], stepHandlers: handlers });
    try {
      return await runTask(engine, { name: 'pair', namespace, context: { order: 7 } });
    } finally {
      await engine.close();
    }
  }

  it('failingHandler fails N times with retryable errors, then succeeds on the next engine attempt', async () => {
    const first = failingHandler({ times: 2, then: { charged: true } });
    const second = recordingHandler();
    const task = await run('fail_then_succeed', { First: first, Second: second });

    expectTaskStatus(task, 'complete');
    expectStepStates(task, { first: 'complete', second: 'complete' });
    expect(stepNamed(task, 'first')).toMatchObject({ attempts: 3, results: { charged: true } });
    expect(first.count).toBe(3);
    expect(first.calls.map((c) => [c.attempt, c.call])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(second.calls).toEqual([
      expect.objectContaining({ taskId: task.taskId, stepName: 'second', attempt: 1, context: { order: 7 } }),
    ]);
  });

  it('failingHandler with more failures than the retry limit leaves the step in error after the last attempt', async () => {
    const first = failingHandler({ times: 5, message: 'gateway down' });
    const second = recordingHandler();
    const task = await run('fail_exhausted', { First: first, Second: second }, 2);

    expectTaskStatus(task, 'error');
    expectStepStates(task, { first: 'error', second: 'pending' });
    expect(stepNamed(task, 'first').attempts).toBe(2);
    expect(lastStepError(stepNamed(task, 'first'))).toMatchObject({
      message: 'gateway down',
      errorClass: 'RetryableError',
      attempt: 2,
    });
    expect(first.count).toBe(2);
    expect(second.count).toBe(0);
  });

  it('failingHandler with permanent errors fails the step on its first attempt', async () => {
    const first = failingHandler({ times: 1, error: 'permanent', errorCode: 'CARD_DECLINED' });
    const task = await run('fail_permanent', { First: first, Second: recordingHandler() });

    expectTaskStatus(task, 'error');
    expect(stepNamed(task, 'first').attempts).toBe(1);
    expect(lastStepError(stepNamed(task, 'first'))).toMatchObject({
      message: 'first failed (call 1 of 1)',
      errorClass: 'PermanentError',
      errorCode: 'CARD_DECLINED',
    });
    expect(first.count).toBe(1);
  });

  it('retryAfterHandler delays the retry by the requested seconds instead of the fast test backoff', async () => {
    const first = retryAfterHandler({ seconds: 1, times: 1 });
    const task = await run('retry_after', { First: first, Second: recordingHandler() });

    expectStepStates(task, { first: 'complete', second: 'complete' });
    expect(stepNamed(task, 'first').attempts).toBe(2);
    const [failed, retried] = first.calls;
    expect(retried.at.getTime() - failed.at.getTime()).toBeGreaterThanOrEqual(950);
    expect(lastStepError(stepNamed(task, 'first'))).toBeNull();
  });

  it('counts failures per step, so one fake can serve several tasks', async () => {
    const first = failingHandler({ times: 1 });
    const engine = createTestEngine(db, {
      tasks: [pair('per_step')],
      stepHandlers: { First: first, Second: recordingHandler() },
    });
    try {
      const tasks = await Promise.all(
        [1, 2].map((n) => runTask(engine, { name: 'pair', namespace: 'per_step', context: { n } })),
      );
      for (const task of tasks) expect(stepNamed(task, 'first').attempts).toBe(2);
      expect(first.count).toBe(4);
      expect(new Set(first.calls.map((c) => c.taskId))).toEqual(new Set(tasks.map((t) => t.taskId)));
      first.reset();
      expect(first.calls).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('rejects nonsensical fake options at once', () => {
    expect(() => failingHandler({ times: -1 })).toThrow(/times must be an integer ≥ 0/);
    expect(() => retryAfterHandler({ seconds: Number.NaN })).toThrow(/seconds must be a number ≥ 0/);
  });
});

describe('createTestEngine', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('runs no steps with worker: false', async () => {
    const handler = recordingHandler();
    const engine = createTestEngine(db.url, {
      worker: false,
      tasks: [pair('no_workers')],
      stepHandlers: { First: handler, Second: handler },
    });
    try {
      const created = await engine.createTask({ name: 'pair', namespace: 'no_workers', context: {} });
      await expect(engine.runUntilSettled(created.taskId, { timeoutMs: 500 })).rejects.toThrow(
        /did not settle/,
      );
      expect(handler.count).toBe(0);
    } finally {
      await engine.close();
    }
  });
});
