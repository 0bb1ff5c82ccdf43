import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/handlers/step-errors';
import { defineTask } from '../../src/registry/define-task';
import { tasker, type TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_WORKER } from '../support/engine';
import { authenticated, hostApp, token, unreachableDatabaseUrl } from '../support/http-app';

const NO_CACHE = 'no-cache, no-store, must-revalidate';

const pingTask = defineTask({
  name: 'ping',
  namespaceName: 'health',
  version: '1.0.0',
  stepTemplates: [
    { name: 'first', handlerClass: 'Ok' },
    { name: 'second', handlerClass: 'Ok', dependsOnStep: 'first' },
  ],
});
const failingTask = defineTask({
  name: 'doomed',
  namespaceName: 'health',
  version: '1.0.0',
  stepTemplates: [{ name: 'only', handlerClass: 'Fail', defaultRetryable: false }],
});
const stepHandlers = {
  Ok: () => ({ ok: true }),
  Fail: () => {
    throw new PermanentError('always fails');
  },
};

function mounted(router: TaskerRouter): express.Express {
  return express().use('/tasker', router);
}

async function createTasks(app: express.Express, name: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await request(app)
      .post('/tasker/tasks')
      .send({ task: { name, namespace: 'health', context: { i } } })
      .expect(201);
  }
}

describe('GET /health/live and /health/ready', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('answers live at once and ready 503 while starting, then ready 200 once started', async () => {
    const { app, router } = hostApp(db);
    try {
      const live = await request(app).get('/tasker/health/live').expect(200);
      expect(live.body).toEqual({ alive: true, timestamp: expect.any(String), service: 'tasker' });
      expect(live.headers['cache-control']).toBe(NO_CACHE);

      const starting = await request(app).get('/tasker/health/ready').expect(503);
      expect(starting.body).toMatchObject({
        ready: false,
        message: 'System is not ready',
        checks: { startup: { status: 'starting' } },
      });
      expect(starting.headers['cache-control']).toBe(NO_CACHE);

      await router.ready();
      const ready = await request(app).get('/tasker/health/ready').expect(200);
      expect(ready.body).toEqual({
        ready: true,
        message: 'System is ready',
        checks: {
          database: { status: 'healthy', message: expect.any(String), response_time_ms: expect.any(Number) },
        },
        timestamp: expect.any(String),
        check_duration_ms: expect.any(Number),
      });
      expect(ready.headers['cache-control']).toBe(NO_CACHE);
    } finally {
      await router.close();
    }
  });

  it('starts the router from a readiness probe alone', async () => {
    const { app, router } = hostApp(db);
    try {
      await request(app).get('/tasker/health/ready').expect(503);
      await expect.poll(async () => (await request(app).get('/tasker/health/ready')).status).toBe(200);
    } finally {
      await router.close();
    }
  });

  it('stays not ready (503) but alive (200) when startup fails', async () => {
    const router = tasker({
      logger: pino({ level: 'silent' }),
      worker: false,
      auth: false,
      databaseUrl: await unreachableDatabaseUrl(),
    });
    const app = mounted(router);
    try {
      await expect(router.ready()).rejects.toThrow();
      const ready = await request(app).get('/tasker/health/ready').expect(503);
      expect(ready.body).toMatchObject({ ready: false, checks: { startup: { status: 'failed' } } });
      await request(app).get('/tasker/health/live').expect(200);
      const tasks = await request(app).get('/tasker/tasks').expect(503);
      expect(tasks.body).toMatchObject({ error: 'database_unavailable', message: expect.any(String) });
    } finally {
      await router.close().catch(() => undefined);
    }
  });

  it('answers 503 with an unhealthy database check when the database no longer answers', async () => {
    const { app, router } = hostApp(db, { health: { readinessTimeoutMs: 1_000 } });
    await router.ready();
    await router.close();
    const ready = await request(app).get('/tasker/health/ready').expect(503);
    expect(ready.body).toMatchObject({
      ready: false,
      message: 'System is not ready',
      checks: { database: { status: 'unhealthy', error: expect.any(String) } },
      failed_checks: ['database'],
    });
  });
});

describe('GET /health/status', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [pingTask], stepHandlers, health: { statusCacheMs: 60_000 } }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('reports task and step counts, then serves them from its cache', async () => {
    await createTasks(app, 'ping', 3);
    const first = await request(app).get('/tasker/health/status').expect(200);
    expect(first.body).toEqual({
      healthy: true,
      status: 'healthy',
      metrics: {
        tasks: expect.objectContaining({ total: 3, pending: 3, in_progress: 0, complete: 0, error: 0 }),
        steps: expect.objectContaining({ total: 6, pending: 6, in_progress: 0, complete: 0, error: 0 }),
        retries: { retryable_errors: 0, exhausted_retries: 0, in_backoff: 0 },
      },
      database: {
        active_connections: expect.any(Number),
        max_connections: expect.any(Number),
        connection_utilization: expect.any(Number),
      },
      cached: false,
      timestamp: expect.any(String),
    });
    expect(first.body.database.connection_utilization).toBeLessThanOrEqual(90);

    await createTasks(app, 'ping', 1);
    const second = await request(app).get('/tasker/health/status').expect(200);
    expect(second.body.cached).toBe(true);
    expect(second.body.metrics.tasks.total).toBe(3);
  });

  it('keeps its cache per router: another router on the same database counts afresh', async () => {
    const other = hostApp(db, { tasks: [pingTask], stepHandlers, health: { statusCacheMs: 0 } });
    try {
      const fresh = await request(other.app).get('/tasker/health/status').expect(200);
      expect(fresh.body.cached).toBe(false);
      expect(fresh.body.metrics.tasks.total).toBe(4);
      const again = await request(other.app).get('/tasker/health/status').expect(200);
      expect(again.body.cached).toBe(false);
    } finally {
      await other.router.close();
    }
  });
});

describe('GET /health/status when most tasks fail', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('answers 503 unhealthy when more than half of the tasks ended in error', async () => {
    const { app, router } = hostApp(db, { tasks: [failingTask], stepHandlers, worker: FAST_WORKER });
    try {
      const created = await request(app)
        .post('/tasker/tasks')
        .send({ task: { name: 'doomed', namespace: 'health', context: {} } })
        .expect(201);
      const settled = await router.engine.runUntilSettled(created.body.task.task_id);
      expect(settled.status).toBe('error');
      const status = await request(app).get('/tasker/health/status').expect(503);
      expect(status.body).toMatchObject({
        healthy: false,
        status: 'unhealthy',
        metrics: { tasks: { total: 1, error: 1 }, steps: { total: 1, error: 1 } },
      });
    } finally {
      await router.close();
    }
  });
});

describe('health endpoints with authentication', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { auth: authenticated }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('keeps live and ready public', async () => {
    await router.ready();
    await request(app).get('/tasker/health/live').expect(200);
    await request(app).get('/tasker/health/ready').expect(200);
  });

  it('requires tasker.health_status:index for /health/status', async () => {
    const anonymous = await request(app).get('/tasker/health/status').expect(401);
    expect(anonymous.body.error).toBe('Unauthorized');
    const denied = await request(app)
      .get('/tasker/health/status')
      .set('authorization', `Bearer ${token({ permissions: ['tasker.task:index'] })}`)
      .expect(403);
    expect(denied.body).toEqual({
      error: 'Forbidden',
      message: 'Not authorized to index on tasker.health_status',
    });
    await request(app)
      .get('/tasker/health/status')
      .set('authorization', `Bearer ${token({ permissions: ['tasker.health_status:index'] })}`)
      .expect(200);
  });
});
