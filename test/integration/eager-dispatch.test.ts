import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import type { StepContext } from '../../src/handlers/step-handler';
import { defineTask } from '../../src/registry/define-task';
import { PermanentError, RetryableError } from '../../src/handlers/step-errors';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER, testEngine } from '../support/engine';

const linear = defineTask({
  name: 'linear',
  namespaceName: 'eager',
  stepTemplates: [
    { name: 's1', handlerClass: 'Echo' },
    { name: 's2', handlerClass: 'Echo', dependsOnStep: 's1' },
    { name: 's3', handlerClass: 'Echo', dependsOnStep: 's2' },
    { name: 's4', handlerClass: 'Flaky', dependsOnStep: 's3' },
  ],
});

const fanOut = defineTask({
  name: 'fan_out',
  namespaceName: 'eager',
  stepTemplates: [
    { name: 'root', handlerClass: 'Echo' },
    { name: 'b1', handlerClass: 'Echo', dependsOnStep: 'root' },
    { name: 'b2', handlerClass: 'Echo', dependsOnStep: 'root' },
    { name: 'b3', handlerClass: 'Echo', dependsOnStep: 'root' },
    { name: 'join', handlerClass: 'Echo', dependsOnSteps: ['b1', 'b2', 'b3'] },
  ],
});

const failing = defineTask({
  name: 'failing',
  namespaceName: 'eager',
  stepTemplates: [
    { name: 'first', handlerClass: 'Echo' },
    { name: 'broken', handlerClass: 'Broken', dependsOnStep: 'first' },
  ],
});

const STEP_NAMES = ['s1', 's2', 's3', 's4', 'root', 'b1', 'b2', 'b3', 'join', 'first'];

/** The steps whose results the handler can read (its completed ancestors). */
function seen(ctx: StepContext): string[] {
  return STEP_NAMES.filter((name) => ctx.results(name) !== undefined);
}

interface StepJobRow {
  step_name: string;
  /** The job was inserted already active, in the transaction that recorded the parent's success. */
  claimed_on_insert: boolean;
  state: string;
}

describe('eager dispatch', () => {
  let db: TestDatabase;
  let engine: TaskerEngine | undefined;
  let flakyFailures = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });
  afterAll(async () => {
    await db.drop();
  });

  async function start(eagerDispatch: boolean): Promise<TaskerEngine> {
    engine = testEngine(db, {
      tasks: [linear, fanOut, failing],
      stepHandlers: {
        Echo: (ctx) => ({ step: ctx.step.name, context: Object.keys(ctx.task.context), seen: seen(ctx) }),
        Flaky: (ctx) => {
          flakyFailures += 1;
          if (flakyFailures === 1)
            throw new RetryableError('first attempt fails', { retryAfterSeconds: 0.05 });
          // A copy per call: changing it changes nothing for later steps.
          (ctx.results('s1') as { seen: string[] }).seen.push('mutated');
          return { ok: true, seen: seen(ctx), s1: ctx.results('s1') };
        },
        Broken: () => {
          throw new PermanentError('broken for good');
        },
      },
      worker: { ...FAST_WORKER, eagerDispatch },
      backoff: FAST_BACKOFF,
    });
    await engine.ready();
    return engine;
  }

  /** Each job of the task with its step, in job creation order. */
  async function jobsOf(taskId: number): Promise<StepJobRow[]> {
    const { rows } = await db.pool.query<StepJobRow>(
      `SELECT ns.name AS step_name, j.started_on = j.created_on AS claimed_on_insert, j.state::text AS state
         FROM tasker_pgboss.job j
         JOIN tasker_workflow_steps ws ON ws.workflow_step_id = (j.data ->> 'stepId')::bigint
         JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
        WHERE (j.data ->> 'taskId')::bigint = $1
        ORDER BY j.created_on, ns.name`,
      [taskId],
    );
    return rows;
  }

  it('runs each next step of a chain in the finishing step’s slot, and a retry still goes through the queue', async () => {
    flakyFailures = 0;
    const tasker = await start(true);
    const task = await tasker.createTask({ name: 'linear', namespace: 'eager', context: { a: 1 } });
    const settled = await tasker.runUntilSettled(task.taskId, { timeoutMs: 15_000 });
    expect(settled.status).toBe('complete');
    expect(settled.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['s1', 'complete', 1],
      ['s2', 'complete', 1],
      ['s3', 'complete', 1],
      ['s4', 'complete', 2],
    ]);
    expect(settled.steps.find((s) => s.name === 's2')?.results).toEqual({
      step: 's2',
      context: ['a'],
      seen: ['s1'],
    });
    // The whole ancestry along the chain, whichever way each step was claimed: s3 in s2's slot
    // (ancestors carried over), s4's retry from the queue (ancestors read from the database).
    expect(settled.steps.find((s) => s.name === 's3')?.results).toEqual({
      step: 's3',
      context: ['a'],
      seen: ['s1', 's2'],
    });
    expect(settled.steps.find((s) => s.name === 's4')?.results).toEqual({
      ok: true,
      seen: ['s1', 's2', 's3'],
      s1: { step: 's1', context: ['a'], seen: [] },
    });
    expect(await jobsOf(task.taskId)).toEqual([
      { step_name: 's1', claimed_on_insert: false, state: 'completed' },
      { step_name: 's2', claimed_on_insert: true, state: 'completed' },
      { step_name: 's3', claimed_on_insert: true, state: 'completed' },
      { step_name: 's4', claimed_on_insert: true, state: 'completed' },
      // The retry after s4's failure is an ordinary delayed job.
      { step_name: 's4', claimed_on_insert: false, state: 'completed' },
    ]);
    // Every attempt's in_progress transition names the job that ran it.
    const { rows } = await db.pool.query<{ job_id: string }>(
      `SELECT st.metadata ->> 'job_id' AS job_id
         FROM tasker_workflow_step_transitions st
         JOIN tasker_workflow_steps ws ON ws.workflow_step_id = st.workflow_step_id
        WHERE ws.task_id = $1 AND st.to_state = 'in_progress'`,
      [task.taskId],
    );
    const { rows: jobs } = await db.pool.query<{ id: string }>(
      `SELECT id::text FROM tasker_pgboss.job WHERE (data ->> 'taskId')::bigint = $1`,
      [task.taskId],
    );
    expect(new Set(rows.map((r) => r.job_id))).toEqual(new Set(jobs.map((j) => j.id)));
  });

  it('hands one ready child to the slot and queues its siblings', async () => {
    const tasker = await start(true);
    const task = await tasker.createTask({ name: 'fan_out', namespace: 'eager', context: {} });
    const settled = await tasker.runUntilSettled(task.taskId, { timeoutMs: 15_000 });
    expect(settled.status).toBe('complete');
    expect(settled.steps.every((s) => s.status === 'complete' && s.attempts === 1)).toBe(true);
    const seenBy = Object.fromEntries(
      settled.steps.map((s) => [s.name, (s.results as { seen: string[] }).seen]),
    );
    expect(seenBy).toEqual({
      root: [],
      b1: ['root'],
      b2: ['root'],
      b3: ['root'],
      join: ['root', 'b1', 'b2', 'b3'],
    });
    const jobs = await jobsOf(task.taskId);
    expect(jobs).toHaveLength(5);
    const branches = jobs.filter((j) => j.step_name.startsWith('b'));
    expect(branches.filter((j) => j.claimed_on_insert)).toHaveLength(1);
    expect(jobs.find((j) => j.step_name === 'root')?.claimed_on_insert).toBe(false);
    expect(jobs.every((j) => j.state === 'completed')).toBe(true);
  });

  it('records a handed-off step’s permanent failure and fails the task', async () => {
    const tasker = await start(true);
    const task = await tasker.createTask({ name: 'failing', namespace: 'eager', context: {} });
    const settled = await tasker.runUntilSettled(task.taskId, { timeoutMs: 15_000 });
    expect(settled.status).toBe('error');
    expect(settled.steps.map((s) => [s.name, s.status])).toEqual([
      ['first', 'complete'],
      ['broken', 'error'],
    ]);
    expect((await jobsOf(task.taskId)).map((j) => [j.step_name, j.claimed_on_insert, j.state])).toEqual([
      ['first', false, 'completed'],
      ['broken', true, 'completed'],
    ]);
  });

  it('queues every ready step when eager dispatch is off', async () => {
    flakyFailures = 1;
    const tasker = await start(false);
    const task = await tasker.createTask({ name: 'linear', namespace: 'eager', context: {} });
    const settled = await tasker.runUntilSettled(task.taskId, { timeoutMs: 15_000 });
    expect(settled.status).toBe('complete');
    const jobs = await jobsOf(task.taskId);
    expect(jobs.map((j) => j.step_name)).toEqual(['s1', 's2', 's3', 's4']);
    expect(jobs.some((j) => j.claimed_on_insert)).toBe(false);
  });
});
