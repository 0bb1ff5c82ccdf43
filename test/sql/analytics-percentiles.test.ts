import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/pool';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  databaseNow,
  insertTask,
  secondsBefore,
  transitionStepThrough,
  transitionTaskThrough,
  type State,
} from '../support/sql-seed';

type Row = Record<string, unknown>;

/** PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks. */
function percentileCont(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
}

function expectedStats(samples: number[]) {
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    sample_count: samples.length,
    avg_seconds: round(samples.reduce((sum, value) => sum + value, 0) / samples.length),
    p50_seconds: round(percentileCont(samples, 0.5)),
    p95_seconds: round(percentileCont(samples, 0.95)),
    p99_seconds: round(percentileCont(samples, 0.99)),
    max_seconds: round(Math.max(...samples)),
  };
}

const range = (n: number) => Array.from({ length: n }, (_unused, i) => i + 1);

/**
 * Times in seconds before `base` (or after a task's creation, "+s").
 *
 * shop/order 1.0.0 × 20 (i = 1…20), created 1000: step work pending +0, in_progress +0.2i,
 *   complete +0.7i (queue wait 0.2i, run 0.5i); task in_progress +0.1, then error (i = 5, 15) or
 *   complete at +i.
 * billing/invoice 1.0.0, fetch → charge:
 *   b1 created 500: fetch in_progress +1, complete +3; charge in_progress +4, error +5
 *     (TimeoutError, backoff_until +7), pending and in_progress +9 (the retry's claim), complete +10;
 *     task complete +11. Waits: fetch 1, charge 1 (after fetch), 2 (after the backoff).
 *   b2 created 400: fetch in_progress +1, complete +2; charge in_progress +3, error +4 (no class in
 *     the transition, GatewayError in the step's results); task error +5.
 * ops/sync 1.0.0, pull → push (current state):
 *   live1 created 300: task in_progress, pull in_progress +1, push pending → blocked.
 *   live2 created 100: task pending, pull and push pending → push blocked.
 *   ready created 80: task in_progress, pull complete, push pending → not blocked.
 *   dead created 200: task error, pull error, push pending → abandoned, not blocked.
 * shop/fresh 1.0.0 created 50, a → b, no transitions at all → b blocked.
 */
async function seed(db: Queryable) {
  const base = await databaseNow(db);
  const at = (created: number, offset = 0) => secondsBefore(base, created - offset);
  const through = (created: number, entries: Array<[State, number]>): Array<[State, Date]> =>
    entries.map(([state, offset]) => [state, at(created, offset)]);

  for (const i of range(20)) {
    const created = 1000;
    const task = await insertTask(db, {
      namespace: 'shop',
      name: 'order',
      version: '1.0.0',
      steps: ['work'],
      createdAt: at(created),
    });
    await transitionStepThrough(
      db,
      task.stepIds[0],
      through(created, [
        ['pending', 0],
        ['in_progress', 0.2 * i],
        ['complete', 0.7 * i],
      ]),
    );
    await transitionTaskThrough(
      db,
      task.taskId,
      through(created, [
        ['pending', 0],
        ['in_progress', 0.1],
        [i === 5 || i === 15 ? 'error' : 'complete', i],
      ]),
    );
  }

  const invoice = { namespace: 'billing', name: 'invoice', version: '1.0.0', steps: ['fetch', 'charge'] };
  const edges: Array<[number, number]> = [[0, 1]];
  const b1 = await insertTask(db, { ...invoice, edges, createdAt: at(500) });
  await transitionStepThrough(db, b1.stepIds[0], through(500, [['pending', 0], ['in_progress', 1], ['complete', 3]]));
  await transitionStepThrough(
    db,
    b1.stepIds[1],
    through(500, [
      ['pending', 0],
      ['in_progress', 4],
      ['error', 5],
      ['pending', 9],
      ['in_progress', 9],
      ['complete', 10],
    ]),
  );
  await db.query(
    `UPDATE tasker_workflow_step_transitions
        SET metadata = jsonb_build_object('error_class', 'TimeoutError', 'backoff_until', $2::timestamptz)
      WHERE workflow_step_id = $1 AND to_state = 'error'`,
    [b1.stepIds[1], at(500, 7)],
  );
  await transitionTaskThrough(db, b1.taskId, through(500, [['pending', 0], ['in_progress', 1], ['complete', 11]]));

  const b2 = await insertTask(db, { ...invoice, edges, createdAt: at(400) });
  await transitionStepThrough(db, b2.stepIds[0], through(400, [['pending', 0], ['in_progress', 1], ['complete', 2]]));
  await transitionStepThrough(db, b2.stepIds[1], through(400, [['pending', 0], ['in_progress', 3], ['error', 4]]));
  await db.query(
    `UPDATE tasker_workflow_steps SET attempts = 1, results = '{"_error": {"error_class": "GatewayError"}}'
      WHERE workflow_step_id = $1`,
    [b2.stepIds[1]],
  );
  await transitionTaskThrough(db, b2.taskId, through(400, [['pending', 0], ['in_progress', 1], ['error', 5]]));

  const sync = { namespace: 'ops', name: 'sync', version: '1.0.0', steps: ['pull', 'push'], edges };
  const live1 = await insertTask(db, { ...sync, createdAt: at(300) });
  await transitionTaskThrough(db, live1.taskId, through(300, [['pending', 0], ['in_progress', 1]]));
  await transitionStepThrough(db, live1.stepIds[0], through(300, [['pending', 0], ['in_progress', 1]]));
  await transitionStepThrough(db, live1.stepIds[1], through(300, [['pending', 0]]));
  const live2 = await insertTask(db, { ...sync, createdAt: at(100) });
  await transitionTaskThrough(db, live2.taskId, through(100, [['pending', 0]]));
  for (const stepId of live2.stepIds) await transitionStepThrough(db, stepId, through(100, [['pending', 0]]));
  const ready = await insertTask(db, { ...sync, createdAt: at(80) });
  await transitionTaskThrough(db, ready.taskId, through(80, [['pending', 0], ['in_progress', 1]]));
  await transitionStepThrough(db, ready.stepIds[0], through(80, [['pending', 0], ['in_progress', 1], ['complete', 2]]));
  await transitionStepThrough(db, ready.stepIds[1], through(80, [['pending', 0]]));
  const dead = await insertTask(db, { ...sync, createdAt: at(200) });
  await transitionTaskThrough(db, dead.taskId, through(200, [['pending', 0], ['in_progress', 1], ['error', 3]]));
  await transitionStepThrough(db, dead.stepIds[0], through(200, [['pending', 0], ['in_progress', 1], ['error', 2]]));
  await transitionStepThrough(db, dead.stepIds[1], through(200, [['pending', 0]]));

  await insertTask(db, { namespace: 'shop', name: 'fresh', version: '1.0.0', steps: ['a', 'b'], edges, createdAt: at(50) });
  return { base, at, b1, b2 };
}

describe('analytics: percentiles, hot spots and blocked steps', () => {
  let db: TestDatabase;
  let data: Awaited<ReturnType<typeof seed>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    data = await seed(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  async function percentiles(...args: unknown[]): Promise<Record<string, Row>> {
    const placeholders = args.map((_arg, i) => `$${i + 1}`).join(', ');
    const { rows } = await db.pool.query(`SELECT * FROM get_duration_percentiles_v01(${placeholders})`, args);
    expect(rows.map((row) => row.metric)).toEqual(['task', 'step_run', 'step_queue_wait']);
    return Object.fromEntries(rows.map(({ metric, ...stats }) => [metric as string, stats]));
  }

  describe('get_duration_percentiles_v01', () => {
    it('computes real task, run and queue-wait percentiles from the transitions', async () => {
      const shop = await percentiles(null, 'shop');
      // Task i took i seconds, its step ran 0.5i seconds after waiting 0.2i seconds.
      expect(shop.task).toEqual({
        sample_count: 20,
        avg_seconds: 10.5,
        p50_seconds: 10.5,
        p95_seconds: 19.05,
        p99_seconds: 19.81,
        max_seconds: 20,
      });
      expect(shop.step_run).toEqual({
        sample_count: 20,
        avg_seconds: 5.25,
        p50_seconds: 5.25,
        p95_seconds: 9.525,
        p99_seconds: 9.905,
        max_seconds: 10,
      });
      expect(shop.step_queue_wait).toEqual({
        sample_count: 20,
        avg_seconds: 2.1,
        p50_seconds: 2.1,
        p95_seconds: 3.81,
        p99_seconds: 3.962,
        max_seconds: 4,
      });
      expect(shop.task).toEqual(expectedStats(range(20)));
    });

    it('waits from the parent’s completion, and a retry from its backoff, not from the claim', async () => {
      const billing = await percentiles(null, 'billing', 'invoice', '1.0.0');
      expect(billing.task).toEqual(expectedStats([11, 5]));
      // Completed attempts: b1 fetch 2, b1 charge retry 1, b2 fetch 1 (b2's charge failed).
      expect(billing.step_run).toEqual(expectedStats([2, 1, 1]));
      // b1: fetch 1, charge 1 after fetch, retry 2 after backoff_until; b2: fetch 1, charge 1 after fetch.
      expect(billing.step_queue_wait).toEqual(expectedStats([1, 1, 2, 1, 1]));
      expect(billing.step_queue_wait).toMatchObject({ p50_seconds: 1, p95_seconds: 1.8, p99_seconds: 1.96 });
    });

    it('counts everything in the window unfiltered, and nothing outside it', async () => {
      const all = await percentiles();
      // 20 shop tasks, b1, b2 and the dead ops task (error after 3 s).
      expect(all.task).toEqual(expectedStats([...range(20), 11, 5, 3]));
      const recent = await percentiles(data.at(450));
      expect(recent.task).toEqual(expectedStats([5, 3]));
      const empty = await percentiles(data.at(450), 'shop');
      for (const metric of Object.values(empty)) {
        expect(metric).toEqual({
          sample_count: 0,
          avg_seconds: null,
          p50_seconds: null,
          p95_seconds: null,
          p99_seconds: null,
          max_seconds: null,
        });
      }
      expect((await percentiles(null, null, null, '9.9.9')).task).toMatchObject({ sample_count: 0 });
    });
  });

  describe('get_step_hotspots_v01', () => {
    async function hotspots(...args: unknown[]): Promise<Row[]> {
      const placeholders = args.map((_arg, i) => `$${i + 1}`).join(', ');
      const { rows } = await db.pool.query(`SELECT * FROM get_step_hotspots_v01(${placeholders})`, args);
      return rows;
    }

    it('ranks steps by retries, then failures, with failures by error class and run vs wait', async () => {
      const rows = await hotspots(null, 10, 'billing');
      expect(rows).toEqual([
        {
          step_name: 'charge',
          task_name: 'invoice',
          namespace_name: 'billing',
          version: '1.0.0',
          step_count: 2,
          attempts: 3,
          retries: 1,
          failures: 2,
          error_classes: { TimeoutError: 1, GatewayError: 1 },
          avg_run_seconds: 1,
          avg_queue_wait_seconds: 1.333,
          last_failure_at: data.at(400, 4),
        },
        {
          step_name: 'fetch',
          task_name: 'invoice',
          namespace_name: 'billing',
          version: '1.0.0',
          step_count: 2,
          attempts: 2,
          retries: 0,
          failures: 0,
          error_classes: {},
          avg_run_seconds: 1.5,
          avg_queue_wait_seconds: 1,
          last_failure_at: null,
        },
      ]);
    });

    it('applies the limit and the filters', async () => {
      const names = (rows: Row[]) => rows.map((row) => `${row.namespace_name}/${row.task_name}/${row.step_name}`);
      expect(names(await hotspots(null, 2))).toEqual(['billing/invoice/charge', 'ops/sync/pull']);
      expect(names(await hotspots(null, 10, 'shop', 'order'))).toEqual(['shop/order/work']);
      expect(await hotspots(null, 10, 'shop', 'order', '2.0.0')).toEqual([]);
      const [work] = await hotspots(null, 10, 'shop');
      expect(work).toMatchObject({ attempts: 20, retries: 0, failures: 0, avg_run_seconds: 5.25, avg_queue_wait_seconds: 2.1 });
    });
  });

  describe('get_error_classes_v01', () => {
    it('counts failures by class, from the transition or else the step’s recorded error', async () => {
      const { rows } = await db.pool.query('SELECT * FROM get_error_classes_v01()');
      expect(rows).toEqual([
        { error_class: 'GatewayError', failures: 1, step_count: 1, step_names: ['charge'], last_failure_at: data.at(400, 4) },
        { error_class: 'TimeoutError', failures: 1, step_count: 1, step_names: ['charge'], last_failure_at: data.at(500, 5) },
        { error_class: 'unknown', failures: 1, step_count: 1, step_names: ['pull'], last_failure_at: data.at(200, 2) },
      ]);
      const { rows: billing } = await db.pool.query("SELECT error_class FROM get_error_classes_v01(NULL, 1, 'billing')");
      expect(billing).toEqual([{ error_class: 'GatewayError' }]);
    });
  });

  describe('get_blocked_steps_v01', () => {
    async function blocked(...args: unknown[]): Promise<Row[]> {
      const placeholders = args.map((_arg, i) => `$${i + 1}`).join(', ');
      const { rows } = await db.pool.query(`SELECT * FROM get_blocked_steps_v01(${placeholders})`, args);
      return rows;
    }

    it('groups pending steps of unfinished tasks whose parents are not done, most blocked first', async () => {
      const rows = await blocked();
      expect(rows).toEqual([
        {
          step_name: 'push',
          task_name: 'sync',
          namespace_name: 'ops',
          version: '1.0.0',
          blocked_count: 2,
          oldest_blocked_seconds: expect.any(Number),
          waiting_on: ['pull'],
        },
        {
          step_name: 'b',
          task_name: 'fresh',
          namespace_name: 'shop',
          version: '1.0.0',
          blocked_count: 1,
          oldest_blocked_seconds: expect.any(Number),
          waiting_on: ['a'],
        },
      ]);
      // Ages are measured on the database clock from the pending transition (or creation).
      expect(rows[0].oldest_blocked_seconds).toBeGreaterThanOrEqual(300);
      expect(rows[0].oldest_blocked_seconds).toBeLessThan(360);
      expect(rows[1].oldest_blocked_seconds).toBeGreaterThanOrEqual(50);
      expect(rows[1].oldest_blocked_seconds).toBeLessThan(110);
    });

    it('applies the limit and the filters', async () => {
      const names = (rows: Row[]) => rows.map((row) => row.step_name);
      expect(names(await blocked(1))).toEqual(['push']);
      expect(names(await blocked(10, 'shop'))).toEqual(['b']);
      expect(names(await blocked(10, null, 'sync', '1.0.0'))).toEqual(['push']);
      expect(await blocked(10, 'billing')).toEqual([]);
    });
  });
});

/**
 * The _v02 analytics read attempts rolled up in tasker_step_attempt_facts up to a watermark and compute the rest
 * live; whatever has been rolled up, and however the history moved on since, they must answer exactly what the
 * _v01 functions (which derive every attempt from the transitions) answer.
 */
describe('analytics: rolled-up step attempts (_v02) answer as the _v01 derivation does', () => {
  let db: TestDatabase;
  let data: Awaited<ReturnType<typeof seed>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    data = await seed(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  const windows: Array<[Date | null, string | null, string | null]> = [
    [null, null, null],
    [null, 'shop', null],
    [null, 'billing', 'invoice'],
    [null, 'ops', null],
  ];

  async function expectSameAnswers(label: string): Promise<void> {
    for (const [since, namespace, name] of [...windows, [secondsBefore(data.base, 450), null, null] as const]) {
      const args = [since, namespace, name, null];
      const v01 = await db.pool.query('SELECT * FROM get_duration_percentiles_v01($1, $2, $3, $4)', args);
      const v02 = await db.pool.query('SELECT * FROM get_duration_percentiles_v02($1, $2, $3, $4)', args);
      expect(v02.rows, `${label}: durations ${JSON.stringify(args)}`).toEqual(v01.rows);
      const reportArgs = [since, 10, namespace, name, null];
      const r01 = await db.pool.query('SELECT * FROM get_bottleneck_report_v01($1, $2, $3, $4, $5)', reportArgs);
      const r02 = await db.pool.query('SELECT * FROM get_bottleneck_report_v02($1, $2, $3, $4, $5)', reportArgs);
      expect(r02.rows, `${label}: report ${JSON.stringify(args)}`).toEqual(r01.rows);
      const s01 = await db.pool.query('SELECT * FROM get_slowest_steps_v01($1, $2, $3, $4, $5)', reportArgs);
      const s02 = await db.pool.query('SELECT * FROM get_slowest_steps_v02($1, $2, $3, $4, $5)', reportArgs);
      expect(s02.rows, `${label}: slowest steps ${JSON.stringify(args)}`).toEqual(s01.rows);
    }
  }

  const refresh = async (settleSeconds: number) =>
    (
      await db.pool.query<{ written: number }>(
        'SELECT tasker_refresh_step_attempt_facts(make_interval(secs => $1)) AS written',
        [settleSeconds],
      )
    ).rows[0].written;

  it('before any roll-up, after a partial one and after a full one', async () => {
    await expectSameAnswers('nothing rolled up');
    // Attempts active more than 450 s ago: the shop orders and b1 (created 1000 and 500 s ago).
    expect(await refresh(450)).toBeGreaterThan(20);
    expect(await refresh(450)).toBe(0);
    await expectSameAnswers('rolled up to 450 s ago');
    expect(await refresh(0)).toBeGreaterThan(0);
    await expectSameAnswers('all rolled up');
  });

  it('when a rolled-up running attempt has ended and a step has retried since', async () => {
    await refresh(0);
    const { rows: running } = await db.pool.query<{ workflow_step_id: number }>(
      `SELECT workflow_step_id FROM tasker_step_attempt_facts WHERE ended_at IS NULL`,
    );
    expect(running.length).toBe(1); // live1's pull, in progress since 299 s ago
    const now = await databaseNow(db.pool);
    await transitionStepThrough(db.pool, running[0].workflow_step_id, [
      ['error', now],
      ['pending', now],
      ['in_progress', now],
    ]);
    await expectSameAnswers('ended after the roll-up, retried, not rolled up again');
    expect(await refresh(0)).toBe(2);
    const { rows: facts } = await db.pool.query(
      `SELECT attempt_number, ended_at IS NOT NULL AS ended, outcome FROM tasker_step_attempt_facts
        WHERE workflow_step_id = $1 ORDER BY attempt_number`,
      [running[0].workflow_step_id],
    );
    expect(facts).toEqual([
      { attempt_number: 1, ended: true, outcome: 'error' },
      { attempt_number: 2, ended: false, outcome: null },
    ]);
    await expectSameAnswers('rolled up again');
  });

  it('drops the rolled-up attempts of deleted tasks', async () => {
    await refresh(0);
    await db.pool.query('DELETE FROM tasker_tasks WHERE task_id = $1', [data.b1.taskId]);
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM tasker_step_attempt_facts f
        WHERE f.workflow_step_id = ANY ($1)`,
      [data.b1.stepIds],
    );
    expect(rows[0].n).toBe(0);
    await expectSameAnswers('after a deletion');
  });
});
