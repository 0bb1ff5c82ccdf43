import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTask } from '../../src/registry/define-task';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_WORKER } from '../support/engine';
import { authenticated, hostApp, token } from '../support/http-app';
import type express from 'express';

const orderTask = defineTask({
  name: 'process_order',
  namespaceName: 'shop',
  version: '1.0.0',
  schema: { type: 'object', required: ['order_id'], properties: { order_id: { type: 'integer' } } },
  stepTemplates: [
    { name: 'validate', handlerClass: 'Ok' },
    { name: 'charge', handlerClass: 'Ok', dependsOnStep: 'validate' },
  ],
});
const stepHandlers = { Ok: () => ({ ok: true }) };

describe('REST /tasks', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [orderTask], stepHandlers, worker: FAST_WORKER }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('creates a task (201) that the engine runs to completion', async () => {
    const created = await request(app)
      .post('/tasker/tasks')
      .send({
        task: { name: 'process_order', namespace: 'shop', context: { order_id: 7 }, initiator: 'web' },
      })
      .expect(201);
    expect(created.body.task).toMatchObject({
      name: 'process_order',
      namespace: 'shop',
      version: '1.0.0',
      full_name: 'shop.process_order@1.0.0',
      initiator: 'web',
      context: { order_id: 7 },
    });
    const settled = await router.engine.runUntilSettled(created.body.task.task_id);
    expect(settled.status).toBe('complete');
    const shown = await request(app).get(`/tasker/tasks/${created.body.task.task_id}`).expect(200);
    expect(shown.body.task.status).toBe('complete');
    expect(
      shown.body.task.workflow_steps.map((s: { name: string; status: string }) => [s.name, s.status]),
    ).toEqual([
      ['validate', 'complete'],
      ['charge', 'complete'],
    ]);
  });

  it('rejects bad input with 400 and per-field details, and unknown ids with 404', async () => {
    const invalid = await request(app)
      .post('/tasker/tasks')
      .send({ task: { name: 'process_order', namespace: 'shop', context: { order_id: 'x' } } })
      .expect(400);
    expect(invalid.body).toMatchObject({ error: 'invalid_context', details: [{ path: '/order_id' }] });
    const missing = await request(app).post('/tasker/tasks').send({ name: 'x' }).expect(400);
    expect(missing.body.error).toBe('bad_request');
    await request(app)
      .post('/tasker/tasks')
      .set('content-type', 'application/json')
      .send('{not json')
      .expect(400);
    await request(app).get('/tasker/tasks/999999').expect(404);
    await request(app).get('/tasker/tasks/abc').expect(400);
    await request(app).get('/tasker/nowhere').expect(404);
  });

  it('answers 413 for a body over the limit', async () => {
    const huge = { task: { name: 'process_order', context: { blob: 'x'.repeat(1_100_000) } } };
    const res = await request(app).post('/tasker/tasks').send(huge).expect(413);
    expect(res.body.error).toBe('payload_too_large');
  });

  it('leaves the host application alone', async () => {
    await request(app).get('/host/ping').expect(200, { pong: true });
  });
});

describe('REST /tasks with authentication', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [orderTask], stepHandlers, auth: authenticated }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('refuses a request without a token (401) and one without the permission (403)', async () => {
    const anonymous = await request(app).get('/tasker/tasks').expect(401);
    expect(anonymous.body).toEqual({ error: 'Unauthorized', message: 'Missing bearer token' });
    const reader = token({ permissions: ['tasker.task:index'] });
    await request(app).get('/tasker/tasks').set('authorization', `Bearer ${reader}`).expect(200);
    const denied = await request(app)
      .post('/tasker/tasks')
      .set('authorization', `Bearer ${reader}`)
      .send({ task: { name: 'process_order', namespace: 'shop', context: { order_id: 1 } } })
      .expect(403);
    expect(denied.body).toEqual({ error: 'Forbidden', message: 'Not authorized to create on tasker.task' });
    await request(app)
      .post('/tasker/tasks')
      .set('authorization', `Bearer ${token({ admin: true })}`)
      .send({ task: { name: 'process_order', namespace: 'shop', context: { order_id: 1 } } })
      .expect(201);
  });
});
