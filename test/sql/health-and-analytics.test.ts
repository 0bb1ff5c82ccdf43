import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/pool';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  databaseNow,
  insertTask,
  secondsBefore,
  transitionStep,
  transitionStepThrough,
  transitionTask,
  transitionTaskThrough,
  updateStep,
  type State,
} from '../support/sql-seed';

const HEALTH_COLUMNS = [
  'total_tasks',
  'pending_tasks',
  'in_progress_tasks',
  'complete_tasks',
  'error_tasks',
  'cancelled_tasks',
  'total_steps',
  'pending_steps',
  'in_progress_steps',
  'complete_steps',
  'error_steps',
  'retryable_error_steps',
  'exhausted_retry_steps',
  'in_backoff_steps',
  'active_connections',
  'max_connections',
  'resolved_manually_tasks',
  'cancelled_steps',
  'resolved_manually_steps',
];

const ANALYTICS_COLUMNS = [
  'active_tasks_count',
  'total_namespaces_count',
  'unique_task_types_count',
  'system_health_score',
  'task_throughput',
  'completion_count',
  'error_count',
  'completion_rate',
  'error_rate',
  'avg_task_duration',
  'avg_step_duration',
  'step_throughput',
  'analysis_period_start',
  'calculated_at',
];

const SLOWEST_TASK_COLUMNS = [
  'task_id',
  'task_name',
  'namespace_name',
  'version',
  'duration_seconds',
  'step_count',
  'completed_steps',
  'error_steps',
  'created_at',
  'completed_at',
  'initiator',
  'source_system',
];

const SLOWEST_STEP_COLUMNS = [
  'workflow_step_id',
  'task_id',
  'step_name',
  'task_name',
  'namespace_name',
  'version',
  'duration_seconds',
  'attempts',
  'created_at',
  'completed_at',
  'retryable',
  'step_status',
];

type Row = Record<string, unknown>;

async function healthCounts(db: Queryable): Promise<Row> {
  const { rows } = await db.query('SELECT * FROM get_system_health_counts_v01()');
  expect(rows).toHaveLength(1);
  return rows[0];
}

/** Seconds-ago timestamps for a history, e.g. history(base, ['in_progress', 90], ['complete', 60]). */
function history(base: Date, ...entries: Array<[State, number]>): Array<[State, Date]> {
  return entries.map(([state, ago]) => [state, secondsBefore(base, ago)]);
}

describe('get_system_health_counts_v01', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('returns the reference columns in order, with the three new counts at the end', async () => {
    const { fields } = await db.pool.query('SELECT * FROM get_system_health_counts_v01()');
    expect(fields.map((field) => field.name)).toEqual(HEALTH_COLUMNS);
  });

  it('returns zero counts on an empty database, and the live connection figures', async () => {
    const counts = await healthCounts(db.pool);
    const { rows } = await db.pool.query<{ max: string }>("SELECT current_setting('max_connections') AS max");
    const { active_connections, max_connections, ...stateCounts } = counts;
    const zeros = HEALTH_COLUMNS.filter((column) => !column.endsWith('_connections')).map((column) => [column, 0]);
    expect(stateCounts).toEqual(Object.fromEntries(zeros));
    expect(active_connections).toBeGreaterThan(0);
    expect(max_connections).toBe(Number(rows[0].max));
  });

  it('counts tasks and steps by current state, a task or step without transitions being pending', async () => {
    const base = await databaseNow(db.pool);
    const taskHistories: Array<Array<[State, number]>> = [
      [],
      [],
      [['pending', 90]],
      [
        ['pending', 90],
        ['in_progress', 80],
      ],
      [
        ['pending', 90],
        ['in_progress', 80],
        ['error', 70],
        ['pending', 60],
        ['in_progress', 50],
      ],
      [
        ['pending', 90],
        ['in_progress', 80],
        ['complete', 70],
      ],
      [
        ['pending', 90],
        ['in_progress', 80],
        ['error', 70],
      ],
      [
        ['pending', 90],
        ['cancelled', 80],
      ],
      [
        ['pending', 90],
        ['in_progress', 80],
        ['error', 70],
        ['resolved_manually', 60],
      ],
    ];
    const tasks = [];
    for (const entries of taskHistories) {
      const task = await insertTask(db.pool, { steps: 0 });
      await transitionTaskThrough(db.pool, task.taskId, history(base, ...entries));
      tasks.push(task);
    }

    const stepHistories: Array<Array<[State, number]>> = [
      [],
      [],
      [['pending', 90]],
      [['in_progress', 80]],
      [
        ['in_progress', 80],
        ['complete', 70],
      ],
      [
        ['in_progress', 80],
        ['error', 70],
        ['pending', 60],
        ['in_progress', 50],
        ['complete', 40],
      ],
      [
        ['in_progress', 80],
        ['error', 70],
      ],
      [['cancelled', 80]],
      [
        ['in_progress', 80],
        ['error', 70],
        ['resolved_manually', 60],
      ],
    ];
    const host = await insertTask(db.pool, { steps: stepHistories.length });
    await transitionTask(db.pool, host.taskId, 'in_progress', secondsBefore(base, 85));
    for (const [i, entries] of stepHistories.entries()) {
      await transitionStepThrough(db.pool, host.stepIds[i], history(base, ...entries));
    }
    await updateStep(db.pool, host.stepIds[6], { attempts: 1 });

    const counts = await healthCounts(db.pool);
    expect(counts).toMatchObject({
      total_tasks: 10,
      pending_tasks: 3,
      in_progress_tasks: 3,
      complete_tasks: 1,
      error_tasks: 1,
      cancelled_tasks: 1,
      resolved_manually_tasks: 1,
      total_steps: 9,
      pending_steps: 3,
      in_progress_steps: 1,
      complete_steps: 2,
      error_steps: 1,
      cancelled_steps: 1,
      resolved_manually_steps: 1,
      retryable_error_steps: 1,
      exhausted_retry_steps: 0,
    });
  });

  it('splits error steps into retryable and exhausted, and counts those still waiting out their backoff', async () => {
    const base = await databaseNow(db.pool);
    // [label, seconds since the failure, step fields] — retry_limit 3 unless said otherwise.
    const failures: Array<[string, number, Parameters<typeof updateStep>[2]]> = [
      // 2^2 = 4 s after a failure 1 s ago: 3 s left.
      ['backoff exponential', 1, { attempts: 2 }],
      // 2^1 = 2 s after a failure 10 s ago: over.
      ['backoff over', 10, { attempts: 1 }],
      // An explicit 60 s request from an attempt 30 s ago wins over the long-past exponential wait.
      ['backoff requested', 100, { attempts: 2, backoffRequestSeconds: 60, lastAttemptedAt: secondsBefore(base, 30) }],
      // An explicit 5 s request from an attempt 30 s ago wins over the exponential wait (2 s from 1 s ago).
      ['requested over', 1, { attempts: 1, backoffRequestSeconds: 5, lastAttemptedAt: secondsBefore(base, 30) }],
      // 2^6 = 64 s is capped at 30 s: a failure 40 s ago is out of backoff, one 20 s ago is not.
      ['cap over', 40, { attempts: 6, retryLimit: 10 }],
      ['cap within', 20, { attempts: 6, retryLimit: 10 }],
      ['attempts exhausted', 1, { attempts: 3 }],
      ['not retryable', 1, { attempts: 1, retryable: false }],
    ];
    const task = await insertTask(db.pool, { steps: failures.map(([label]) => label).concat('running') });
    for (const [i, [, failedAgo, fields]] of failures.entries()) {
      await transitionStepThrough(
        db.pool,
        task.stepIds[i],
        history(base, ['in_progress', failedAgo + 1], ['error', failedAgo]),
      );
      await updateStep(db.pool, task.stepIds[i], fields);
    }
    await transitionStep(db.pool, task.stepIds[failures.length], 'in_progress', secondsBefore(base, 5));
    await updateStep(db.pool, task.stepIds[failures.length], { attempts: 1 });

    expect(await healthCounts(db.pool)).toMatchObject({
      error_steps: 8,
      retryable_error_steps: 6,
      exhausted_retry_steps: 2,
      in_backoff_steps: 3,
    });
    // The same backoff rule as readiness: exactly the retryable failures whose next retry is ahead.
    const { rows } = await db.pool.query<{ name: string }>(
      `SELECT name FROM get_step_readiness_status_batch(ARRAY[$1::bigint])
        WHERE current_state = 'error' AND retryable AND retry_eligible AND next_retry_at > now() ORDER BY name`,
      [task.taskId],
    );
    expect(rows.map((row) => row.name)).toEqual(['backoff exponential', 'backoff requested', 'cap within']);
  });
});

/**
 * One dataset for analytics and the slowest tasks/steps, all times in seconds before `base`.
 *
 * | task | definition            | created | task history                      | steps (run = last in_progress → complete) |
 * |------|-----------------------|---------|-----------------------------------|--------------------------------------------|
 * | t1   | default.import 0.1.0  | 600     | in_progress 599, complete 480     | s1 590→585.5 (4.5), s2 560→error 555→pending 550→540→530.25 (9.75) |
 * | t2   | billing.invoice 0.1.0 | 600     | in_progress 599, complete 300     | s1 590→570 (20), s2 complete 400 without in_progress |
 * | t3   | billing.import 1.0.0  | 300     | in_progress 299, error 100        | s1 160→150 (10), s2 110→error 100 |
 * | t4   | default.import 0.1.0  | 200     | in_progress 199                   | s1 190→185.5 (4.5), s2 in_progress 180 |
 * | t5   | default.import 0.1.0  | 100     | none (pending)                    | s1 none |
 * | t6   | billing.invoice 0.1.0 | 50      | cancelled 40                      | s1 cancelled 40 |
 * | t7   | default.import 0.1.0  | 7200    | in_progress 7199, complete 7000   | s1 7100→7050 (50) |
 * | t8   | default.import 0.1.0  | 7200    | in_progress 7199, complete 1000   | s1 1100→1000.5 (99.5) |
 * | t9   | default.import 0.1.0  | 7200    | error 7000, pending 6900          | — |
 * | t10  | billing.invoice 0.1.0 | 7200    | in_progress 7199, error 7000      | — |
 * | t11  | default.import 0.1.0  | 172800  | in_progress 172799, complete 90000 | s1 172000→171000 (1000) |
 *
 * The named task idle.never_run has no task.
 */
async function seedDataset(db: Queryable) {
  const base = await databaseNow(db);
  const ago = (seconds: number) => secondsBefore(base, seconds);
  const task = async (
    definition: { namespace: string; name: string; version: string },
    created: number,
    taskHistory: Array<[State, number]>,
    stepHistories: Array<Array<[State, number]>>,
  ) => {
    const seeded = await insertTask(db, {
      ...definition,
      steps: stepHistories.length,
      createdAt: ago(created),
      initiator: 'alice',
      sourceSystem: 'web',
    });
    await transitionTaskThrough(db, seeded.taskId, history(base, ...taskHistory));
    for (const [i, entries] of stepHistories.entries()) {
      await transitionStepThrough(db, seeded.stepIds[i], history(base, ...entries));
    }
    return seeded;
  };
  const importV1 = { namespace: 'default', name: 'import', version: '0.1.0' };
  const invoice = { namespace: 'billing', name: 'invoice', version: '0.1.0' };
  const billingImport = { namespace: 'billing', name: 'import', version: '1.0.0' };

  const t1 = await task(
    importV1,
    600,
    [
      ['in_progress', 599],
      ['complete', 480],
    ],
    [
      [
        ['in_progress', 590],
        ['complete', 585.5],
      ],
      [
        ['in_progress', 560],
        ['error', 555],
        ['pending', 550],
        ['in_progress', 540],
        ['complete', 530.25],
      ],
    ],
  );
  await updateStep(db, t1.stepIds[1], { attempts: 2 });
  const t2 = await task(
    invoice,
    600,
    [
      ['in_progress', 599],
      ['complete', 300],
    ],
    [
      [
        ['in_progress', 590],
        ['complete', 570],
      ],
      [['complete', 400]],
    ],
  );
  const t3 = await task(
    billingImport,
    300,
    [
      ['in_progress', 299],
      ['error', 100],
    ],
    [
      [
        ['in_progress', 160],
        ['complete', 150],
      ],
      [
        ['in_progress', 110],
        ['error', 100],
      ],
    ],
  );
  const t4 = await task(
    importV1,
    200,
    [['in_progress', 199]],
    [
      [
        ['in_progress', 190],
        ['complete', 185.5],
      ],
      [['in_progress', 180]],
    ],
  );
  const t5 = await task(importV1, 100, [], [[]]);
  const t6 = await task(invoice, 50, [['cancelled', 40]], [[['cancelled', 40]]]);
  const t7 = await task(
    importV1,
    7200,
    [
      ['in_progress', 7199],
      ['complete', 7000],
    ],
    [
      [
        ['in_progress', 7100],
        ['complete', 7050],
      ],
    ],
  );
  const t8 = await task(
    importV1,
    7200,
    [
      ['in_progress', 7199],
      ['complete', 1000],
    ],
    [
      [
        ['in_progress', 1100],
        ['complete', 1000.5],
      ],
    ],
  );
  const t9 = await task(
    importV1,
    7200,
    [
      ['error', 7000],
      ['pending', 6900],
    ],
    [],
  );
  const t10 = await task(
    invoice,
    7200,
    [
      ['in_progress', 7199],
      ['error', 7000],
    ],
    [],
  );
  const t11 = await task(
    importV1,
    172_800,
    [
      ['in_progress', 172_799],
      ['complete', 90_000],
    ],
    [
      [
        ['in_progress', 172_000],
        ['complete', 171_000],
      ],
    ],
  );
  await db.query(
    `INSERT INTO tasker_task_namespaces (name) VALUES ('idle');
     INSERT INTO tasker_named_tasks (name, task_namespace_id) SELECT 'never_run', task_namespace_id FROM tasker_task_namespaces WHERE name = 'idle'`,
  );
  return { base, ago, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11 };
}

type Dataset = Awaited<ReturnType<typeof seedDataset>>;

describe('analytics over a seeded history', () => {
  let db: TestDatabase;
  let data: Dataset;
  beforeAll(async () => {
    db = await createTestDatabase();
    data = await seedDataset(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  async function analytics(since?: Date): Promise<Row> {
    const { rows } = await db.pool.query('SELECT * FROM get_analytics_metrics_v01($1)', [since ?? null]);
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  async function slowestTasks(args: unknown[] = []): Promise<Row[]> {
    const placeholders = args.map((_arg, i) => `$${i + 1}`).join(', ');
    const { rows } = await db.pool.query(`SELECT * FROM get_slowest_tasks_v01(${placeholders})`, args);
    return rows;
  }

  async function slowestSteps(args: unknown[] = []): Promise<Row[]> {
    const placeholders = args.map((_arg, i) => `$${i + 1}`).join(', ');
    const { rows } = await db.pool.query(`SELECT * FROM get_slowest_steps_v01(${placeholders})`, args);
    return rows;
  }

  describe('get_analytics_metrics_v01', () => {
    it('returns the reference columns in order', async () => {
      const { fields } = await db.pool.query('SELECT * FROM get_analytics_metrics_v01()');
      expect(fields.map((field) => field.name)).toEqual(ANALYTICS_COLUMNS);
    });

    it('measures outcomes from task transitions over the last hour by default', async () => {
      const metrics = await analytics();
      expect(metrics).toMatchObject({
        // t4 in_progress, t5 without transitions, t9 pending again after an error.
        active_tasks_count: 3,
        // default and billing (idle has no task); import and invoice (never_run has no task).
        total_namespaces_count: 2,
        unique_task_types_count: 2,
        // t1–t6 were created in the hour: t1 and t2 complete, t3 error. t3 and t4 have a complete
        // step, which the reference would have counted as task completions.
        task_throughput: 6,
        completion_count: 2,
        error_count: 1,
        system_health_score: 0.667,
        completion_rate: 33.33,
        error_rate: 16.67,
        // Completed in the hour: t1 120 s, t2 300 s, t8 6,200 s (created before the hour).
        avg_task_duration: 2206.667,
        // Run times of steps completed in the hour: 4.5, 9.75, 20, 10, 4.5, 99.5 (t2.s2 never ran).
        avg_step_duration: 24.708,
        step_throughput: 10,
      });
      const periodStart = metrics.analysis_period_start as Date;
      const calculatedAt = metrics.calculated_at as Date;
      expect(calculatedAt.getTime() - periodStart.getTime()).toBe(3_600_000);
      expect(calculatedAt.getTime()).toBeGreaterThanOrEqual(data.base.getTime());
    });

    it('restricts throughput, outcomes and durations to the given period', async () => {
      const since = data.ago(400);
      const metrics = await analytics(since);
      expect(metrics).toMatchObject({
        active_tasks_count: 3,
        total_namespaces_count: 2,
        unique_task_types_count: 2,
        // t3–t6: only t3 finished, in error.
        task_throughput: 4,
        completion_count: 0,
        error_count: 1,
        system_health_score: 0,
        completion_rate: 0,
        error_rate: 25,
        // t2 completed 300 s ago, 300 s after it was created.
        avg_task_duration: 300,
        // t3.s1 10 s and t4.s1 4.5 s.
        avg_step_duration: 7.25,
        step_throughput: 6,
      });
      expect((metrics.analysis_period_start as Date).getTime()).toBe(since.getTime());
    });

    it('reports a perfect score and zero rates and durations when nothing happened in the period', async () => {
      expect(await analytics(data.ago(10))).toMatchObject({
        task_throughput: 0,
        completion_count: 0,
        error_count: 0,
        system_health_score: 1,
        completion_rate: 0,
        error_rate: 0,
        avg_task_duration: 0,
        avg_step_duration: 0,
        step_throughput: 0,
      });
    });
  });

  describe('get_slowest_tasks_v01', () => {
    it('returns the reference columns in order', async () => {
      const { fields } = await db.pool.query('SELECT * FROM get_slowest_tasks_v01()');
      expect(fields.map((field) => field.name)).toEqual(SLOWEST_TASK_COLUMNS);
    });

    it('lists tasks of the last day that ended complete or in error, longest first, ties by task id', async () => {
      const rows = await slowestTasks();
      expect(rows.map((row) => [row.task_id, row.duration_seconds])).toEqual([
        [data.t8.taskId, 6200],
        [data.t2.taskId, 300],
        [data.t3.taskId, 200],
        [data.t7.taskId, 200],
        [data.t10.taskId, 200],
        [data.t1.taskId, 120],
      ]);
    });

    it('times a task from its creation to its own terminal transition and counts its steps by state', async () => {
      const [t3] = await slowestTasks([null, 10, null, null, '1.0.0']);
      expect(t3).toEqual({
        task_id: data.t3.taskId,
        task_name: 'import',
        namespace_name: 'billing',
        version: '1.0.0',
        duration_seconds: 200,
        step_count: 2,
        completed_steps: 1,
        error_steps: 1,
        created_at: data.ago(300),
        completed_at: data.ago(100),
        initiator: 'alice',
        source_system: 'web',
      });
    });

    it('applies the limit, the period and every filter', async () => {
      const ids = (rows: Row[]) => rows.map((row) => row.task_id);
      expect(ids(await slowestTasks([null, 2]))).toEqual([data.t8.taskId, data.t2.taskId]);
      expect(ids(await slowestTasks([data.ago(400)]))).toEqual([data.t3.taskId]);
      expect(ids(await slowestTasks([data.ago(3 * 86_400), 1]))).toEqual([data.t11.taskId]);
      expect(ids(await slowestTasks([null, 10, 'billing']))).toEqual([data.t2.taskId, data.t3.taskId, data.t10.taskId]);
      expect(ids(await slowestTasks([null, 10, null, 'import']))).toEqual([
        data.t8.taskId,
        data.t3.taskId,
        data.t7.taskId,
        data.t1.taskId,
      ]);
      expect(ids(await slowestTasks([null, 10, null, null, '0.1.0']))).toEqual([
        data.t8.taskId,
        data.t2.taskId,
        data.t7.taskId,
        data.t10.taskId,
        data.t1.taskId,
      ]);
      expect(ids(await slowestTasks([null, 10, 'billing', 'import', '1.0.0']))).toEqual([data.t3.taskId]);
      expect(ids(await slowestTasks([null, 10, 'default', 'invoice']))).toEqual([]);
    });
  });

  describe('get_slowest_steps_v01', () => {
    it('returns the reference columns in order', async () => {
      const { fields } = await db.pool.query('SELECT * FROM get_slowest_steps_v01()');
      expect(fields.map((field) => field.name)).toEqual(SLOWEST_STEP_COLUMNS);
    });

    it('lists completed steps of the last day by run time, longest first, ties by step id', async () => {
      const rows = await slowestSteps();
      expect(rows.map((row) => [row.workflow_step_id, row.duration_seconds])).toEqual([
        [data.t8.stepIds[0], 99.5],
        [data.t7.stepIds[0], 50],
        [data.t2.stepIds[0], 20],
        [data.t3.stepIds[0], 10],
        [data.t1.stepIds[1], 9.75],
        [data.t1.stepIds[0], 4.5],
        [data.t4.stepIds[0], 4.5],
      ]);
    });

    it('times a retried step from its last in_progress transition to its completion', async () => {
      const [step] = await slowestSteps([null, 10, 'default', 'import', '0.1.0']).then((rows) =>
        rows.filter((row) => row.workflow_step_id === data.t1.stepIds[1]),
      );
      expect(step).toEqual({
        workflow_step_id: data.t1.stepIds[1],
        task_id: data.t1.taskId,
        step_name: 'step_2',
        task_name: 'import',
        namespace_name: 'default',
        version: '0.1.0',
        duration_seconds: 9.75,
        attempts: 2,
        created_at: data.ago(600),
        completed_at: data.ago(530.25),
        retryable: true,
        step_status: 'complete',
      });
    });

    it('applies the limit, the period and every filter', async () => {
      const ids = (rows: Row[]) => rows.map((row) => row.workflow_step_id);
      expect(ids(await slowestSteps([null, 3]))).toEqual([data.t8.stepIds[0], data.t7.stepIds[0], data.t2.stepIds[0]]);
      expect(ids(await slowestSteps([data.ago(400)]))).toEqual([data.t3.stepIds[0], data.t4.stepIds[0]]);
      expect(ids(await slowestSteps([data.ago(3 * 86_400), 1]))).toEqual([data.t11.stepIds[0]]);
      expect(ids(await slowestSteps([null, 10, 'billing']))).toEqual([data.t2.stepIds[0], data.t3.stepIds[0]]);
      expect(ids(await slowestSteps([null, 10, null, 'invoice']))).toEqual([data.t2.stepIds[0]]);
      expect(ids(await slowestSteps([null, 10, null, null, '1.0.0']))).toEqual([data.t3.stepIds[0]]);
      expect(ids(await slowestSteps([null, 10, 'default', 'import', '0.1.0']))).toEqual([
        data.t8.stepIds[0],
        data.t7.stepIds[0],
        data.t1.stepIds[1],
        data.t1.stepIds[0],
        data.t4.stepIds[0],
      ]);
      expect(ids(await slowestSteps([null, 10, 'billing', 'import', '0.1.0']))).toEqual([]);
    });
  });
});
