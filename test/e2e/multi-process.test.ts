import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import { defineTask } from '../../src/registry/define-task';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testEngine } from '../support/engine';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/** The producer side only needs the definitions (handlers run in the worker processes). */
const producerDefinitions = ['crashy', 'shared'].map((name) =>
  defineTask({
    name,
    namespaceName: 'multi',
    stepTemplates:
      name === 'crashy'
        ? [
            { name: 'a', handlerClass: 'Work' },
            { name: 'b', handlerClass: 'MaybeHang', dependsOnStep: 'a' },
            { name: 'c', handlerClass: 'Work', dependsOnStep: 'b' },
          ]
        : [
            { name: 'a', handlerClass: 'Work' },
            { name: 'b', handlerClass: 'Work', dependsOnStep: 'a' },
            { name: 'c', handlerClass: 'Work', dependsOnStep: 'a' },
            { name: 'd', handlerClass: 'Work', dependsOnSteps: ['b', 'c'] },
          ],
  }),
);

describe('worker processes', () => {
  let db: TestDatabase;
  let producer: TaskerEngine;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(
      'CREATE TABLE handler_runs (pid int NOT NULL, task_id bigint NOT NULL, step_name text NOT NULL, attempt int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())',
    );
    const noop = () => ({});
    producer = testEngine(db, { tasks: producerDefinitions, stepHandlers: { Work: noop, MaybeHang: noop } });
    await producer.ready();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  afterAll(async () => {
    await producer.close();
    await db.drop();
  });

  async function completeTransitionsPerStep(taskIds: number[]) {
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*) FILTER (WHERE st.to_state = 'complete') AS n
         FROM tasker_workflow_steps ws
         LEFT JOIN tasker_workflow_step_transitions st ON st.workflow_step_id = ws.workflow_step_id
        WHERE ws.task_id = ANY ($1::bigint[])
        GROUP BY ws.workflow_step_id`,
      [taskIds],
    );
    return rows.map((r) => r.n);
  }

  it('two worker processes share the load and run every step exactly once', async () => {
    workers.push(await startWorkerProcess(db.url), await startWorkerProcess(db.url));
    const tasks = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        producer.createTask({ name: 'shared', namespace: 'multi', context: { i } }),
      ),
    );
    const settled = await Promise.all(
      tasks.map((t) => producer.runUntilSettled(t.taskId, { timeoutMs: 60_000 })),
    );
    expect(settled.every((t) => t.status === 'complete')).toBe(true);
    const ids = tasks.map((t) => t.taskId);
    const { rows } = await db.pool.query<{ task_id: number; step_name: string; runs: number }>(
      `SELECT task_id, step_name, count(*)::int AS runs FROM handler_runs WHERE task_id = ANY ($1::bigint[])
        GROUP BY 1, 2`,
      [ids],
    );
    expect(rows).toHaveLength(40 * 4);
    expect(rows.every((r) => r.runs === 1)).toBe(true);
    const { rows: pids } = await db.pool.query(
      'SELECT DISTINCT pid FROM handler_runs WHERE task_id = ANY ($1::bigint[])',
      [ids],
    );
    expect(pids).toHaveLength(2);
    expect(new Set(await completeTransitionsPerStep(ids))).toEqual(new Set([1]));
  }, 90_000);

  it('recovers steps from a worker killed mid-step: another process finishes every task', async () => {
    const doomed = await startWorkerProcess(db.url, { WORKER_HANG: '1' });
    workers.push(doomed);
    const tasks = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        producer.createTask({ name: 'crashy', namespace: 'multi', context: { i } }),
      ),
    );
    const ids = tasks.map((t) => t.taskId);
    const waitForHangingSteps = async () => {
      for (let i = 0; i < 200; i += 1) {
        const { rows } = await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM handler_runs WHERE step_name = 'b' AND task_id = ANY ($1::bigint[])`,
          [ids],
        );
        if (rows[0].n === ids.length) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the doomed worker never started every step b');
    };
    await waitForHangingSteps();
    doomed.child.kill('SIGKILL');
    const killedAt = Date.now();
    workers.push(await startWorkerProcess(db.url));

    const settled = await Promise.all(ids.map((id) => producer.runUntilSettled(id, { timeoutMs: 60_000 })));
    const recoverySeconds = (Date.now() - killedAt) / 1000;
    console.log(`recovered ${ids.length} tasks ${recoverySeconds.toFixed(1)} s after SIGKILL`);
    expect(settled.map((t) => t.status)).toEqual(ids.map(() => 'complete'));
    for (const task of settled) {
      const b = task.steps.find((s) => s.name === 'b');
      expect(b).toMatchObject({ status: 'complete', attempts: 2 });
    }
    expect(new Set(await completeTransitionsPerStep(ids))).toEqual(new Set([1]));
    const { rows: runs } = await db.pool.query<{ step_name: string; runs: number }>(
      `SELECT step_name, count(*)::int AS runs FROM handler_runs WHERE task_id = ANY ($1::bigint[]) GROUP BY 1 ORDER BY 1`,
      [ids],
    );
    expect(runs).toEqual([
      { step_name: 'a', runs: 5 },
      { step_name: 'b', runs: 10 },
      { step_name: 'c', runs: 5 },
    ]);
    const { rows: errors } = await db.pool.query(
      `SELECT st.metadata->>'error_message' AS message FROM tasker_workflow_step_transitions st
         JOIN tasker_workflow_steps ws USING (workflow_step_id)
        WHERE ws.task_id = ANY ($1::bigint[]) AND st.to_state = 'error'`,
      [ids],
    );
    expect(errors).toHaveLength(5);
    expect(errors[0].message).toMatch(/worker running this attempt stopped/);
    // Each lost attempt of b was handed to the doomed worker's slot by a's success (eager dispatch):
    // its job was created in the transaction that started b, and was still redelivered.
    const { rows: handedOff } = await db.pool.query<{ eager: boolean }>(
      `SELECT j.created_on = st.created_at AS eager
         FROM tasker_workflow_step_transitions st
         JOIN tasker_workflow_steps ws USING (workflow_step_id)
         JOIN tasker_named_steps ns USING (named_step_id)
         JOIN tasker_pgboss.job j ON j.id = (st.metadata ->> 'job_id')::uuid
        WHERE ws.task_id = ANY ($1::bigint[]) AND ns.name = 'b' AND st.to_state = 'in_progress'
          AND (st.metadata ->> 'attempt_number')::int = 1`,
      [ids],
    );
    expect(handedOff).toEqual(ids.map(() => ({ eager: true })));
  }, 90_000);
});
