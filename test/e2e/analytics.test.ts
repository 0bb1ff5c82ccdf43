import type express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { authenticated, hostApp, token } from '../support/http-app';
import {
  databaseNow,
  insertTask,
  secondsBefore,
  transitionStepThrough,
  transitionTaskThrough,
  type State,
} from '../support/sql-seed';

const DURATION_KEYS = ['count', 'avg', 'p50', 'p95', 'p99', 'max'];
const TREND_KEYS = [
  'task_throughput',
  'completion_rate',
  'error_rate',
  'avg_task_duration',
  'avg_step_duration',
  'step_throughput',
];

/**
 * shop/order: four tasks created 600 s ago that took 10, 20, 30 and 40 s (the last in error after
 * its charge step failed twice with TimeoutError); each ran validate (2 s) then charge.
 * billing/invoice: one task created 300 s ago, 5 s.
 */
async function seed(db: TestDatabase) {
  const base = await databaseNow(db.pool);
  const at = (created: number, offset: number) => secondsBefore(base, created - offset);
  const steps = ['validate', 'charge'];
  for (const [i, seconds] of [10, 20, 30, 40].entries()) {
    const failing = i === 3;
    const task = await insertTask(db.pool, {
      namespace: 'shop',
      name: 'order',
      version: '1.0.0',
      steps,
      edges: [[0, 1]],
      createdAt: at(600, 0),
    });
    const history = (entries: Array<[State, number]>): Array<[State, Date]> =>
      entries.map(([state, offset]) => [state, at(600, offset)]);
    await transitionStepThrough(
      db.pool,
      task.stepIds[0],
      history([
        ['in_progress', 1],
        ['complete', 3],
      ]),
    );
    await transitionStepThrough(
      db.pool,
      task.stepIds[1],
      history(
        failing
          ? [
              ['in_progress', 4],
              ['error', 5],
              ['pending', 6],
              ['in_progress', 6],
              ['error', seconds],
            ]
          : [
              ['in_progress', 4],
              ['complete', seconds],
            ],
      ),
    );
    await transitionTaskThrough(
      db.pool,
      task.taskId,
      history([
        ['in_progress', 1],
        [failing ? 'error' : 'complete', seconds],
      ]),
    );
    if (failing) {
      await db.pool.query(
        `UPDATE tasker_workflow_step_transitions SET metadata = '{"error_class": "TimeoutError"}'
          WHERE workflow_step_id = $1 AND to_state = 'error'`,
        [task.stepIds[1]],
      );
    }
  }
  const invoice = await insertTask(db.pool, {
    namespace: 'billing',
    name: 'invoice',
    steps: ['bill'],
    createdAt: at(300, 0),
  });
  await transitionStepThrough(db.pool, invoice.stepIds[0], [
    ['in_progress', at(300, 1)],
    ['complete', at(300, 5)],
  ]);
  await transitionTaskThrough(db.pool, invoice.taskId, [
    ['in_progress', at(300, 1)],
    ['complete', at(300, 5)],
  ]);
}

describe('GET /analytics/* without auth', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db));
    await router.ready();
    await seed(db);
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('answers /analytics/performance with the overview, the three trends and real percentiles', async () => {
    const res = await request(app).get('/tasker/analytics/performance').expect(200);
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'analysis_period_hours',
        'cached',
        'durations',
        'generated_at',
        'performance_trends',
        'system_overview',
      ].sort(),
    );
    expect(res.body.analysis_period_hours).toBe(1);
    expect(res.body.system_overview).toMatchObject({
      active_tasks: 0,
      total_namespaces: 2,
      unique_task_types: 2,
      task_throughput: 5,
      completion_rate: 80,
      error_rate: 20,
    });
    for (const window of ['last_hour', 'last_4_hours', 'last_24_hours']) {
      expect(Object.keys(res.body.performance_trends[window]).sort()).toEqual([...TREND_KEYS].sort());
      expect(res.body.performance_trends[window].task_throughput).toBe(5);
    }
    // Task durations 5, 10, 20, 30, 40.
    expect(res.body.durations.task).toEqual({ count: 5, avg: 21, p50: 20, p95: 38, p99: 39.6, max: 40 });
    expect(Object.keys(res.body.durations.step_run).sort()).toEqual([...DURATION_KEYS].sort());
    expect(Object.keys(res.body.durations.step_queue_wait).sort()).toEqual([...DURATION_KEYS].sort());
    expect(res.body.cached).toBe(false);
    expect(Date.parse(res.body.generated_at)).not.toBeNaN();
  });

  it('reuses an answer for the same query and computes a new one for another', async () => {
    const first = await request(app).get('/tasker/analytics/performance?period_hours=2').expect(200);
    const again = await request(app).get('/tasker/analytics/performance?period_hours=2').expect(200);
    expect(first.body.cached).toBe(false);
    expect(again.body).toEqual({ ...first.body, cached: true });
    const shorter = await request(app).get('/tasker/analytics/performance?period_hours=0.05').expect(200);
    expect(shorter.body.cached).toBe(false);
    expect(shorter.body.system_overview.task_throughput).toBe(0);
    expect(shorter.body.durations.task).toEqual({
      count: 0,
      avg: null,
      p50: null,
      p95: null,
      p99: null,
      max: null,
    });
  });

  it('answers /analytics/bottlenecks with slowest tasks and steps, hot spots, error classes and advice', async () => {
    const res = await request(app).get('/tasker/analytics/bottlenecks').expect(200);
    expect(res.body).toMatchObject({
      scope: { namespace: null, name: null, version: null },
      analysis_period_hours: 24,
      cached: false,
    });
    expect(res.body.slowest_tasks.map((task: { duration_seconds: number }) => task.duration_seconds)).toEqual(
      [40, 30, 20, 10, 5],
    );
    expect(res.body.slowest_tasks[0]).toMatchObject({
      task_name: 'order',
      namespace: 'shop',
      step_count: 2,
      error_steps: 1,
    });
    expect(res.body.slowest_steps[0]).toMatchObject({ step_name: 'charge', duration_seconds: 26 });
    expect(res.body.hotspots[0]).toMatchObject({
      step_name: 'charge',
      task_name: 'order',
      namespace: 'shop',
      attempts: 5,
      retries: 1,
      failures: 2,
      error_classes: { TimeoutError: 2 },
    });
    expect(res.body.error_classes).toEqual([
      {
        error_class: 'TimeoutError',
        failures: 2,
        step_count: 1,
        step_names: ['charge'],
        last_failure_at: expect.any(String),
      },
    ]);
    expect(res.body.blocked_steps).toEqual([]);
    expect(res.body.durations.task).toMatchObject({ count: 5, p50: 20 });
    expect(res.body.recommendations.length).toBeGreaterThan(0);
    expect(res.body.recommendations.length).toBeLessThanOrEqual(5);
    expect(res.body.recommendations).toContainEqual(
      expect.stringMatching(/^Step charge of shop\/order 1\.0\.0 was retried 1 times/),
    );
    expect(res.body.recommendations).toContainEqual('TimeoutError caused 2 step failures (in charge).');
  });

  it('scopes the bottlenecks to a namespace, name and version and to the period', async () => {
    const billing = await request(app).get(
      '/tasker/analytics/bottlenecks?namespace=billing&name=invoice&version=0.1.0',
    );
    expect(billing.status).toBe(200);
    expect(billing.body.scope).toEqual({ namespace: 'billing', name: 'invoice', version: '0.1.0' });
    expect(
      billing.body.slowest_tasks.map((task: { duration_seconds: number }) => task.duration_seconds),
    ).toEqual([5]);
    expect(billing.body.hotspots.map((row: { step_name: string }) => row.step_name)).toEqual(['bill']);
    expect(billing.body.error_classes).toEqual([]);
    expect(billing.body.recommendations).toEqual([]);
    const recent = await request(app).get('/tasker/analytics/bottlenecks?period_hours=0.1').expect(200);
    expect(recent.body.analysis_period_hours).toBe(0.1);
    expect(recent.body.slowest_tasks).toHaveLength(1);
    const none = await request(app).get('/tasker/analytics/bottlenecks?namespace=nowhere').expect(200);
    expect(none.body.slowest_tasks).toEqual([]);
    expect(none.body.durations.task.count).toBe(0);
  });

  it.each([
    ['/analytics/performance?period_hours=0'],
    ['/analytics/performance?period_hours=abc'],
    ['/analytics/performance?period_hours=-1'],
    ['/analytics/performance?period_hours=100000'],
    ['/analytics/bottlenecks?period_hours=1e3'],
    ['/analytics/bottlenecks?period_hours=1&period_hours=2'],
  ])('refuses %s with 400 and details about period_hours', async (url) => {
    const res = await request(app).get(`/tasker${url}`).expect(400);
    expect(res.body).toEqual({
      error: 'bad_request',
      message: expect.stringMatching(/period_hours/),
      details: [{ path: '/period_hours', message: expect.any(String) }],
    });
  });

  it('refuses repeated or NUL-bearing filters with 400', async () => {
    const repeated = await request(app)
      .get('/tasker/analytics/bottlenecks?namespace=a&namespace=b')
      .expect(400);
    expect(repeated.body.details).toEqual([{ path: '/namespace', message: 'must be a single value' }]);
    const nul = await request(app).get('/tasker/analytics/bottlenecks?name=a%00b').expect(400);
    expect(nul.body.details).toEqual([{ path: '/name', message: expect.stringMatching(/NUL/) }]);
  });
});

describe('GET /analytics/* with auth', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('needs tasker.analytics:index by default (protectMetrics)', async () => {
    const { app, router } = hostApp(db, { auth: authenticated });
    try {
      for (const path of ['/analytics/performance', '/analytics/bottlenecks']) {
        await request(app).get(`/tasker${path}`).expect(401);
        const denied = await request(app)
          .get(`/tasker${path}`)
          .set(
            'authorization',
            `Bearer ${token({ permissions: ['tasker.metrics:index', 'tasker.task:index'] })}`,
          )
          .expect(403);
        expect(denied.body).toEqual({
          error: 'Forbidden',
          message: 'Not authorized to index on tasker.analytics',
        });
        await request(app)
          .get(`/tasker${path}`)
          .set('authorization', `Bearer ${token({ permissions: ['tasker.analytics:index'] })}`)
          .expect(200);
      }
    } finally {
      await router.close();
    }
  });

  it('is public with protectMetrics: false, while other routes stay protected', async () => {
    const { app, router } = hostApp(db, { auth: { ...authenticated, protectMetrics: false } });
    try {
      await request(app).get('/tasker/analytics/performance').expect(200);
      await request(app).get('/tasker/analytics/bottlenecks?period_hours=2').expect(200);
      await request(app).get('/tasker/tasks').expect(401);
    } finally {
      await router.close();
    }
  });
});
