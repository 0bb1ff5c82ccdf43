import type express from 'express';
import { Counter, Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import { PermanentError } from '../../src/handlers/step-errors';
import type { StepContext } from '../../src/handlers/step-handler';
import { defineTask } from '../../src/registry/define-task';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER, testEngine } from '../support/engine';
import { authenticated, hostApp, token } from '../support/http-app';

const checkoutTask = defineTask({
  name: 'checkout',
  namespaceName: 'shop',
  version: '1.0.0',
  stepTemplates: [
    { name: 'validate', handlerClass: 'Ok' },
    { name: 'charge', handlerClass: 'Ok', dependsOnStep: 'validate' },
  ],
});

/** fetch fails for good on its first attempt. */
const importTask = defineTask({
  name: 'import_feed',
  namespaceName: 'feeds',
  version: '1.0.0',
  stepTemplates: [
    { name: 'fetch', handlerClass: 'Broken' },
    { name: 'use', handlerClass: 'Ok', dependsOnStep: 'fetch' },
  ],
});

/** sync fails once, is retried, then succeeds. */
const syncTask = defineTask({
  name: 'sync_inventory',
  namespaceName: 'feeds',
  version: '2.1.0',
  stepTemplates: [
    { name: 'sync', handlerClass: 'FailsFirstAttempt', defaultRetryLimit: 2 },
    { name: 'report', handlerClass: 'Ok', dependsOnStep: 'sync' },
  ],
});

/** No worker serves this namespace, so its jobs stay queued until cancelled. */
const parkedTask = defineTask({
  name: 'archive',
  namespaceName: 'parked',
  version: '1.0.0',
  stepTemplates: [{ name: 'store', handlerClass: 'Ok' }],
});

const stepHandlers = {
  Ok: () => ({ ok: true }),
  Broken: () => {
    throw new PermanentError('feed is gone');
  },
  FailsFirstAttempt: (ctx: StepContext) => {
    if (ctx.step.attempts === 1) throw new Error('inventory service is warming up');
    return { synced: true };
  },
};

const WORKER = { ...FAST_WORKER, namespaces: ['shop', 'feeds'] };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format → samples (enough of the format for prom-client's output). */
function parseSamples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`Unparsable sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
      );
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

/** The value of the series with exactly these labels; undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return parseSamples(text).find(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  )?.value;
}

async function scrape(app: express.Express, bearer?: string): Promise<string> {
  let pending = request(app).get('/tasker/metrics');
  if (bearer) pending = pending.set('authorization', `Bearer ${bearer}`);
  const res = await pending.expect(200);
  return res.text;
}

async function runTask(engine: TaskerEngine, name: string, namespace: string): Promise<void> {
  const task = await engine.createTask({ name, namespace, context: {} });
  await engine.runUntilSettled(task.taskId);
}

describe('GET /metrics after a known workload', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, {
      tasks: [checkoutTask, importTask, syncTask, parkedTask],
      stepHandlers,
      worker: WORKER,
      backoff: FAST_BACKOFF,
    }));
    await router.ready();
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('counts tasks, attempts, retries and observes durations and queue waits exactly', async () => {
    await Promise.all([1, 2, 3].map(() => runTask(router.engine, 'checkout', 'shop')));
    await runTask(router.engine, 'import_feed', 'feeds');
    await runTask(router.engine, 'sync_inventory', 'feeds');

    const parked = await router.engine.createTask({ name: 'archive', namespace: 'parked', context: {} });
    const beforeCancel = await scrape(app);
    expect(sample(beforeCancel, 'tasker_queue_depth', { namespace: 'parked' })).toBe(1);
    expect(sample(beforeCancel, 'tasker_queue_depth', { namespace: 'shop' })).toBe(0);
    await router.engine.cancelTask(parked.taskId);

    const res = await request(app).get('/tasker/metrics').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    const text = res.text;
    const task = (namespace: string, name: string, version: string, status: string) =>
      sample(text, 'tasker_tasks_total', { namespace, name, version, status });
    expect(task('shop', 'checkout', '1.0.0', 'complete')).toBe(3);
    expect(task('feeds', 'import_feed', '1.0.0', 'error')).toBe(1);
    expect(task('feeds', 'sync_inventory', '2.1.0', 'complete')).toBe(1);
    expect(task('parked', 'archive', '1.0.0', 'cancelled')).toBe(1);
    expect(parseSamples(text).filter((s) => s.name === 'tasker_tasks_total')).toHaveLength(4);

    const attempts = (namespace: string, taskName: string, step: string, outcome: string) =>
      sample(text, 'tasker_step_attempts_total', { namespace, task: taskName, step, outcome });
    expect(attempts('shop', 'checkout', 'validate', 'success')).toBe(3);
    expect(attempts('shop', 'checkout', 'charge', 'success')).toBe(3);
    expect(attempts('feeds', 'import_feed', 'fetch', 'failure')).toBe(1);
    expect(attempts('feeds', 'sync_inventory', 'sync', 'failure')).toBe(1);
    expect(attempts('feeds', 'sync_inventory', 'sync', 'success')).toBe(1);
    expect(attempts('feeds', 'sync_inventory', 'report', 'success')).toBe(1);
    expect(parseSamples(text).filter((s) => s.name === 'tasker_step_attempts_total')).toHaveLength(6);

    expect(
      sample(text, 'tasker_step_retries_total', { namespace: 'feeds', task: 'sync_inventory', step: 'sync' }),
    ).toBe(1);
    expect(parseSamples(text).filter((s) => s.name === 'tasker_step_retries_total')).toHaveLength(1);

    const durations = (namespace: string, taskName: string, step: string, outcome: string) =>
      sample(text, 'tasker_step_duration_seconds_count', { namespace, task: taskName, step, outcome });
    expect(durations('shop', 'checkout', 'validate', 'success')).toBe(3);
    expect(durations('feeds', 'sync_inventory', 'sync', 'failure')).toBe(1);
    expect(durations('feeds', 'sync_inventory', 'sync', 'success')).toBe(1);
    expect(
      sample(text, 'tasker_step_duration_seconds_bucket', {
        le: '+Inf',
        namespace: 'shop',
        task: 'checkout',
        step: 'charge',
        outcome: 'success',
      }),
    ).toBe(3);

    const waits = (namespace: string, taskName: string) =>
      sample(text, 'tasker_step_queue_wait_seconds_count', { namespace, task: taskName });
    expect(waits('shop', 'checkout')).toBe(6);
    expect(waits('feeds', 'import_feed')).toBe(1);
    expect(waits('feeds', 'sync_inventory')).toBe(3);

    expect(sample(text, 'tasker_steps_in_flight', { namespace: 'shop' })).toBe(0);
    expect(sample(text, 'tasker_steps_in_flight', { namespace: 'feeds' })).toBe(0);
    expect(sample(text, 'tasker_queue_depth', { namespace: 'parked' })).toBe(0);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('never puts ids in labels', async () => {
    const text = await scrape(app);
    const labelNames = new Set(
      parseSamples(text)
        .filter((s) => s.name.startsWith('tasker_'))
        .flatMap((s) => Object.keys(s.labels)),
    );
    expect([...labelNames].sort()).toEqual([
      'le',
      'name',
      'namespace',
      'outcome',
      'status',
      'step',
      'task',
      'version',
    ]);
  });
});

describe('metrics registries', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('registers on a user-supplied registry and serves it, without adding default metrics', async () => {
    const registry = new Registry();
    const hostCounter = new Counter({
      name: 'host_orders_total',
      help: 'host metric',
      registers: [registry],
    });
    hostCounter.inc(7);
    const { app, router } = hostApp(db, {
      tasks: [checkoutTask],
      stepHandlers,
      worker: { ...FAST_WORKER, namespaces: ['shop'] },
      metrics: { registry },
    });
    try {
      await router.ready();
      expect(router.engine.metrics).toBe(registry);
      await runTask(router.engine, 'checkout', 'shop');
      expect(await registry.getSingleMetricAsString('tasker_tasks_total')).toContain(
        'tasker_tasks_total{namespace="shop",name="checkout",version="1.0.0",status="complete"} 1',
      );
      const text = await scrape(app);
      expect(sample(text, 'host_orders_total')).toBe(7);
      expect(sample(text, 'process_cpu_user_seconds_total')).toBeUndefined();
    } finally {
      await router.close();
    }
  });

  it('keeps two engines in one process apart, each on a registry of its own', async () => {
    const job = (namespaceName: string) =>
      defineTask({
        name: 'job',
        namespaceName,
        version: '1.0.0',
        stepTemplates: [{ name: 'work', handlerClass: 'Ok' }],
      });
    const first = testEngine(db, { tasks: [job('alpha')], stepHandlers, worker: FAST_WORKER });
    const second = testEngine(db, { tasks: [job('beta')], stepHandlers, worker: FAST_WORKER });
    try {
      await Promise.all([first.ready(), second.ready()]);
      await runTask(first, 'job', 'alpha');
      await runTask(first, 'job', 'alpha');
      await runTask(second, 'job', 'beta');
      expect(first.metrics).toBeDefined();
      expect(first.metrics).not.toBe(second.metrics);
      const [a, b] = await Promise.all([first.metrics?.metrics(), second.metrics?.metrics()]);
      const completed = (namespace: string) => ({
        namespace,
        name: 'job',
        version: '1.0.0',
        status: 'complete',
      });
      expect(sample(a ?? '', 'tasker_tasks_total', completed('alpha'))).toBe(2);
      expect(sample(a ?? '', 'tasker_tasks_total', completed('beta'))).toBeUndefined();
      expect(sample(b ?? '', 'tasker_tasks_total', completed('beta'))).toBe(1);
      expect(sample(b ?? '', 'tasker_tasks_total', completed('alpha'))).toBeUndefined();
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('answers 503 metrics_disabled with metrics: false', async () => {
    const { app, router } = hostApp(db, { metrics: false });
    try {
      expect(router.engine.metrics).toBeUndefined();
      const res = await request(app).get('/tasker/metrics').expect(503);
      expect(res.body).toEqual({ error: 'metrics_disabled', message: expect.any(String) });
    } finally {
      await router.close();
    }
  });
});

describe('GET /metrics with auth', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('needs tasker.metrics:index by default', async () => {
    const { app, router } = hostApp(db, { auth: authenticated });
    try {
      await request(app).get('/tasker/metrics').expect(401);
      const denied = await request(app)
        .get('/tasker/metrics')
        .set('authorization', `Bearer ${token({ permissions: ['tasker.task:index'] })}`)
        .expect(403);
      expect(denied.body).toEqual({
        error: 'Forbidden',
        message: 'Not authorized to index on tasker.metrics',
      });
      const text = await scrape(app, token({ permissions: ['tasker.metrics:index'] }));
      expect(text).toContain('# TYPE tasker_tasks_total counter');
    } finally {
      await router.close();
    }
  });

  it('is public when protectMetrics is false, while other routes stay protected', async () => {
    const { app, router } = hostApp(db, { auth: { ...authenticated, protectMetrics: false } });
    try {
      const text = await scrape(app);
      expect(text).toContain('# TYPE tasker_step_attempts_total counter');
      await request(app).get('/tasker/tasks').expect(401);
    } finally {
      await router.close();
    }
  });
});
