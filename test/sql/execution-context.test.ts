import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  createTask,
  secondsAgo,
  setStepState,
  setTaskState,
  updateStep,
  type SeededTask,
} from '../support/readiness-seed';

interface ExecutionContextRow {
  task_id: number;
  named_task_id: number;
  status: string;
  total_steps: number;
  pending_steps: number;
  in_progress_steps: number;
  completed_steps: number;
  failed_steps: number;
  ready_steps: number;
  execution_status: string;
  recommended_action: string;
  completion_percentage: number;
  health_status: string;
  permanently_blocked_steps: number;
  cancelled_steps: number;
}

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

async function context(taskId: number): Promise<ExecutionContextRow> {
  const { rows } = await db.pool.query<ExecutionContextRow>('SELECT * FROM get_task_execution_context($1::bigint)', [
    taskId,
  ]);
  expect(rows).toHaveLength(1);
  return rows[0];
}

async function contexts(taskIds: number[]): Promise<ExecutionContextRow[]> {
  const { rows } = await db.pool.query<ExecutionContextRow>(
    'SELECT * FROM get_task_execution_contexts_batch($1::bigint[])',
    [taskIds],
  );
  return rows;
}

async function missingTaskId(): Promise<number> {
  const { rows } = await db.pool.query<{ id: number }>('SELECT COALESCE(max(task_id), 0) + 1000 AS id FROM tasker_tasks');
  return rows[0].id;
}

async function complete(task: SeededTask, ...names: string[]): Promise<void> {
  const ids = names.map((name) => task.id(name));
  await setStepState(db.pool, ids, 'in_progress');
  await setStepState(db.pool, ids, 'complete');
  await updateStep(db.pool, ids, { processed: true, attempts: 1, last_attempted_at: 'now()' });
}

/** Records a failed execution the way the executor does: attempts and last_attempted_at, then → error. */
async function fail(
  task: SeededTask,
  name: string,
  { attempts, secondsAgo: ago, retryLimit }: { attempts: number; secondsAgo: number; retryLimit?: number },
): Promise<void> {
  const id = task.id(name);
  await updateStep(db.pool, id, { attempts, retry_limit: retryLimit, last_attempted_at: secondsAgo(ago) });
  await setStepState(db.pool, id, 'in_progress', { at: secondsAgo(ago + 0.5) });
  await setStepState(db.pool, id, 'error', { at: secondsAgo(ago) });
}

const linear = () => createTask(db.pool, { steps: ['a', 'b', 'c'], edges: [['a', 'b'], ['b', 'c']] });
const pair = () => createTask(db.pool, { steps: ['a', 'b'], edges: [['a', 'b']] });

/** The decision triple every caller acts on. */
const decision = (row: ExecutionContextRow) => ({
  execution_status: row.execution_status,
  recommended_action: row.recommended_action,
  health_status: row.health_status,
});

describe('get_task_execution_context', () => {
  it('a fresh task has ready steps, is healthy and counts every step as pending', async () => {
    const task = await createTask(db.pool, {
      steps: ['a', 'b', 'c', 'd'],
      edges: [
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd'],
      ],
    });

    const row = await context(task.taskId);
    expect(row).toMatchObject({
      task_id: task.taskId,
      status: 'pending',
      total_steps: 4,
      pending_steps: 4,
      in_progress_steps: 0,
      completed_steps: 0,
      failed_steps: 0,
      ready_steps: 1,
      execution_status: 'has_ready_steps',
      recommended_action: 'execute_ready_steps',
      completion_percentage: 0,
      health_status: 'healthy',
      permanently_blocked_steps: 0,
      cancelled_steps: 0,
    });
    const { rows } = await db.pool.query<{ named_task_id: number }>(
      'SELECT named_task_id FROM tasker_tasks WHERE task_id = $1',
      [task.taskId],
    );
    expect(row.named_task_id).toBe(rows[0].named_task_id);
  });

  it('a running step with nothing else ready means processing / wait_for_completion', async () => {
    const task = await pair();
    await setStepState(db.pool, task.id('a'), 'in_progress');

    const row = await context(task.taskId);
    expect(decision(row)).toEqual({
      execution_status: 'processing',
      recommended_action: 'wait_for_completion',
      health_status: 'healthy',
    });
    expect(row).toMatchObject({ in_progress_steps: 1, pending_steps: 1, ready_steps: 0 });
  });

  it('ready work takes precedence over a running step', async () => {
    const task = await createTask(db.pool, { steps: ['running', 'waiting'] });
    await setStepState(db.pool, task.id('running'), 'in_progress');

    expect(decision(await context(task.taskId))).toEqual({
      execution_status: 'has_ready_steps',
      recommended_action: 'execute_ready_steps',
      health_status: 'healthy',
    });
  });

  it('an error step with no attempts left and nothing ready is blocked_by_failures / handle_failures / blocked', async () => {
    const task = await pair();
    await fail(task, 'a', { attempts: 3, retryLimit: 3, secondsAgo: 3600 });

    const row = await context(task.taskId);
    expect(decision(row)).toEqual({
      execution_status: 'blocked_by_failures',
      recommended_action: 'handle_failures',
      health_status: 'blocked',
    });
    expect(row).toMatchObject({ failed_steps: 1, pending_steps: 1, ready_steps: 0, permanently_blocked_steps: 1 });
  });

  it('a permanent failure (retryable = false, 1 attempt, error) is blocked_by_failures, not waiting forever', async () => {
    const task = await pair();
    await updateStep(db.pool, task.id('a'), { retryable: false });
    await fail(task, 'a', { attempts: 1, secondsAgo: 3600 });

    const row = await context(task.taskId);
    expect(decision(row)).toEqual({
      execution_status: 'blocked_by_failures',
      recommended_action: 'handle_failures',
      health_status: 'blocked',
    });
    expect(row).toMatchObject({ failed_steps: 1, ready_steps: 0, permanently_blocked_steps: 1 });
  });

  it('a retryable = false step that has not run yet is ready work, not a blocker', async () => {
    const task = await pair();
    await updateStep(db.pool, task.id('a'), { retryable: false });

    expect(await context(task.taskId)).toMatchObject({
      execution_status: 'has_ready_steps',
      health_status: 'healthy',
      ready_steps: 1,
      permanently_blocked_steps: 0,
    });
  });

  it('an error step that has not been attempted yet is ready, even with retryable = false, so it is not counted as blocked', async () => {
    const task = await pair();
    await updateStep(db.pool, task.id('a'), { retryable: false });
    await setStepState(db.pool, task.id('a'), 'error', { at: secondsAgo(3600) });

    expect(await context(task.taskId)).toMatchObject({
      execution_status: 'has_ready_steps',
      health_status: 'recovering',
      failed_steps: 1,
      ready_steps: 1,
      permanently_blocked_steps: 0,
    });
  });

  it('a pending step that may never run (retry_limit 0) is blocked, not waited on forever', async () => {
    const task = await pair();
    await updateStep(db.pool, task.id('a'), { retry_limit: 0 });

    expect(await context(task.taskId)).toMatchObject({
      execution_status: 'blocked_by_failures',
      recommended_action: 'handle_failures',
      health_status: 'blocked',
      ready_steps: 0,
      permanently_blocked_steps: 1,
    });
  });

  it('an error step still in its backoff with nothing else ready is waiting_for_dependencies / recovering', async () => {
    const task = await pair();
    await fail(task, 'a', { attempts: 1, secondsAgo: 0 });

    const row = await context(task.taskId);
    expect(decision(row)).toEqual({
      execution_status: 'waiting_for_dependencies',
      recommended_action: 'wait_for_dependencies',
      health_status: 'recovering',
    });
    expect(row).toMatchObject({ failed_steps: 1, ready_steps: 0, permanently_blocked_steps: 0 });
  });

  it('an error step whose backoff has elapsed is ready to retry: has_ready_steps / recovering', async () => {
    const task = await pair();
    await fail(task, 'a', { attempts: 1, secondsAgo: 3 });

    const row = await context(task.taskId);
    expect(decision(row)).toEqual({
      execution_status: 'has_ready_steps',
      recommended_action: 'execute_ready_steps',
      health_status: 'recovering',
    });
    expect(row).toMatchObject({ failed_steps: 1, ready_steps: 1 });
  });

  it('a blocked branch does not stop ready work in another branch', async () => {
    const task = await createTask(db.pool, { steps: ['broken', 'after_broken', 'fine'], edges: [['broken', 'after_broken']] });
    await fail(task, 'broken', { attempts: 3, secondsAgo: 3600 });

    expect(await context(task.taskId)).toMatchObject({
      execution_status: 'has_ready_steps',
      recommended_action: 'execute_ready_steps',
      health_status: 'recovering',
      ready_steps: 1,
      permanently_blocked_steps: 1,
    });
  });

  it('a task whose steps are all complete or resolved_manually is all_complete / finalize_task at 100 %', async () => {
    const task = await linear();
    await complete(task, 'a', 'b');
    await setStepState(db.pool, task.id('c'), 'resolved_manually');

    const row = await context(task.taskId);
    expect(decision(row)).toEqual({
      execution_status: 'all_complete',
      recommended_action: 'finalize_task',
      health_status: 'healthy',
    });
    expect(row).toMatchObject({ total_steps: 3, completed_steps: 3, pending_steps: 0, completion_percentage: 100 });
  });

  it('a task with no steps is all_complete at 100 %', async () => {
    const task = await createTask(db.pool, { steps: [] });

    expect(await context(task.taskId)).toMatchObject({
      status: 'pending',
      total_steps: 0,
      pending_steps: 0,
      completed_steps: 0,
      ready_steps: 0,
      execution_status: 'all_complete',
      recommended_action: 'finalize_task',
      completion_percentage: 100,
      health_status: 'healthy',
    });
  });

  it('a cancelled step with a pending child is blocked_by_failures, not waiting forever', async () => {
    const task = await pair();
    await setStepState(db.pool, task.id('a'), 'cancelled');

    const row = await context(task.taskId);
    expect(decision(row)).toEqual({
      execution_status: 'blocked_by_failures',
      recommended_action: 'handle_failures',
      health_status: 'blocked',
    });
    expect(row).toMatchObject({
      total_steps: 2,
      completed_steps: 0,
      pending_steps: 1,
      failed_steps: 0,
      cancelled_steps: 1,
      permanently_blocked_steps: 1,
      completion_percentage: 0,
    });
  });

  it('a step resolved_manually after failing counts as completed and unblocks its child', async () => {
    const task = await pair();
    await fail(task, 'a', { attempts: 3, secondsAgo: 3600 });
    expect((await context(task.taskId)).execution_status).toBe('blocked_by_failures');

    await setStepState(db.pool, task.id('a'), 'resolved_manually');
    expect(await context(task.taskId)).toMatchObject({
      completed_steps: 1,
      failed_steps: 0,
      permanently_blocked_steps: 0,
      ready_steps: 1,
      execution_status: 'has_ready_steps',
      health_status: 'healthy',
      completion_percentage: 50,
    });
  });

  it('completion_percentage is rounded to two decimals (1 of 3 = 33.33, 2 of 3 = 66.67)', async () => {
    const task = await linear();

    await complete(task, 'a');
    expect((await context(task.taskId)).completion_percentage).toBe(33.33);

    await complete(task, 'b');
    expect((await context(task.taskId)).completion_percentage).toBe(66.67);

    const { rows } = await db.pool.query<{ scale: number }>(
      'SELECT scale(completion_percentage) AS scale FROM get_task_execution_context($1::bigint)',
      [task.taskId],
    );
    expect(rows[0].scale).toBe(2);
  });

  it("status is the task's most recent task transition, pending when it has none", async () => {
    const task = await pair();
    expect((await context(task.taskId)).status).toBe('pending');

    await setTaskState(db.pool, task.taskId, 'in_progress');
    expect((await context(task.taskId)).status).toBe('in_progress');

    await setTaskState(db.pool, task.taskId, 'error');
    const row = await context(task.taskId);
    expect(row.status).toBe('error');
    // The task's own state does not feed the step-based decision.
    expect(row.execution_status).toBe('has_ready_steps');
  });

  it('the batch variant returns one row per existing task, ordered by task_id', async () => {
    const fresh = await pair();
    const done = await pair();
    await complete(done, 'a', 'b');
    const empty = await createTask(db.pool, { steps: [] });
    const missing = await missingTaskId();

    const rows = await contexts([empty.taskId, missing, fresh.taskId, done.taskId, fresh.taskId]);
    expect(rows.map((row) => [row.task_id, row.execution_status, row.completion_percentage])).toEqual([
      [fresh.taskId, 'has_ready_steps', 0],
      [done.taskId, 'all_complete', 100],
      [empty.taskId, 'all_complete', 100],
    ]);
    expect(rows[0]).toEqual(await context(fresh.taskId));
    expect(await contexts([])).toEqual([]);
  });

  it('a task that does not exist has no row', async () => {
    const missing = await missingTaskId();
    const { rows } = await db.pool.query('SELECT * FROM get_task_execution_context($1::bigint)', [missing]);
    expect(rows).toEqual([]);
    expect(await contexts([missing])).toEqual([]);
  });

  it('a 1,000-step task is summarised quickly', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `s${String(i).padStart(4, '0')}`);
    const task = await createTask(db.pool, {
      steps: names,
      edges: names.slice(1).map((child): [string, string] => [names[0], child]),
    });
    await complete(task, names[0]);

    const started = performance.now();
    const row = await context(task.taskId);
    const elapsed = performance.now() - started;
    console.log(`[execution-context] fan-out of 1,000 steps: ${elapsed.toFixed(1)} ms`);

    expect(row).toMatchObject({
      total_steps: 1000,
      completed_steps: 1,
      pending_steps: 999,
      ready_steps: 999,
      execution_status: 'has_ready_steps',
      completion_percentage: 0.1,
    });
    expect(elapsed).toBeLessThan(1000);
  });
});
