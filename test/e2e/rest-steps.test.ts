import type express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/permissions';
import { PermanentError } from '../../src/handlers/step-errors';
import type { StepContext } from '../../src/handlers/step-handler';
import { defineTask } from '../../src/registry/define-task';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER } from '../support/engine';
import { authenticated, hostApp, token } from '../support/http-app';

/** validate → (reserve, charge) → ship */
const checkoutTask = defineTask({
  name: 'checkout',
  namespaceName: 'shop',
  version: '1.0.0',
  stepTemplates: [
    { name: 'validate', handlerClass: 'Ok' },
    { name: 'reserve', handlerClass: 'Ok', dependsOnStep: 'validate' },
    { name: 'charge', handlerClass: 'Ok', dependsOnStep: 'validate' },
    { name: 'ship', handlerClass: 'Ok', dependsOnSteps: ['reserve', 'charge'] },
  ],
});

/** fetch fails for good; use passes on what fetch produced (or what an operator supplied). */
const importTask = defineTask({
  name: 'import_feed',
  namespaceName: 'feeds',
  version: '1.0.0',
  stepTemplates: [
    { name: 'fetch', handlerClass: 'Broken' },
    { name: 'use', handlerClass: 'Echo', dependsOnStep: 'fetch' },
  ],
});

/** sync fails on its first attempt and has only one. */
const syncTask = defineTask({
  name: 'sync_inventory',
  namespaceName: 'feeds',
  version: '1.0.0',
  stepTemplates: [
    { name: 'sync', handlerClass: 'FailsFirstAttempt', defaultRetryLimit: 1 },
    { name: 'report', handlerClass: 'Ok', dependsOnStep: 'sync' },
  ],
});

const stepHandlers = {
  Ok: () => ({ ok: true }),
  Broken: () => {
    throw new PermanentError('feed is gone', { errorCode: 'GONE' });
  },
  Echo: (ctx: StepContext) => ({ fetched: ctx.results('fetch') ?? null }),
  FailsFirstAttempt: (ctx: StepContext) => {
    if (ctx.step.attempts === 1) throw new Error('inventory service is warming up');
    return { synced: true, attempt: ctx.step.attempts };
  },
};

interface StepJson {
  workflow_step_id: number;
  name: string;
  status: string;
  attempts: number;
  retry_limit: number;
  inputs: unknown;
  results: unknown;
  parents_ids: number[];
  children_ids: number[];
  siblings_ids: number[];
}

async function checkout(router: TaskerRouter) {
  const task = await router.engine.createTask({ name: 'checkout', namespace: 'shop', context: { cart: 3 } });
  const id = (name: string) => task.steps.find((step) => step.name === name)?.workflowStepId as number;
  return { taskId: task.taskId, validate: id('validate'), charge: id('charge'), ship: id('ship') };
}

describe('REST /tasks/:task_id/workflow_steps', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [checkoutTask], stepHandlers }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  describe('GET (list)', () => {
    it("lists the task's steps with their DAG neighbours", async () => {
      const { taskId, validate, charge, ship } = await checkout(router);
      const res = await request(app).get(`/tasker/tasks/${taskId}/workflow_steps`).expect(200);
      const steps = res.body.steps as StepJson[];
      expect(steps.map((step) => [step.name, step.status])).toEqual([
        ['validate', 'pending'],
        ['reserve', 'pending'],
        ['charge', 'pending'],
        ['ship', 'pending'],
      ]);
      const reserve = steps[1];
      expect(reserve).toMatchObject({
        parents_ids: [validate],
        children_ids: [ship],
        siblings_ids: [charge],
      });
      expect(steps[0]).toMatchObject({ task_id: taskId, retry_limit: 3, attempts: 0, inputs: { cart: 3 } });
    });

    it('sorts and pages the list', async () => {
      const { taskId } = await checkout(router);
      const byName = await request(app)
        .get(`/tasker/tasks/${taskId}/workflow_steps?sort_by=name&sort_order=desc`)
        .expect(200);
      expect(byName.body.steps.map((step: StepJson) => step.name)).toEqual([
        'validate',
        'ship',
        'reserve',
        'charge',
      ]);
      const page = await request(app)
        .get(`/tasker/tasks/${taskId}/workflow_steps?limit=2&offset=1`)
        .expect(200);
      expect(page.body.steps.map((step: StepJson) => step.name)).toEqual(['reserve', 'charge']);
    });

    it('answers 404 for an unknown task and 400 for a bad id or query', async () => {
      const { taskId } = await checkout(router);
      const missing = await request(app).get('/tasker/tasks/999999/workflow_steps').expect(404);
      expect(missing.body).toEqual({ error: 'not_found', message: 'Task 999999 not found' });
      const badId = await request(app).get('/tasker/tasks/abc/workflow_steps').expect(400);
      expect(badId.body.details).toEqual([{ path: '/task_id', message: 'must be a positive integer' }]);
      await request(app).get('/tasker/tasks/0/workflow_steps').expect(400);
      const badQuery = await request(app)
        .get(`/tasker/tasks/${taskId}/workflow_steps?sort_by=secret&sort_order=up&limit=0&offset=-1`)
        .expect(400);
      expect(badQuery.body.details.map((d: { path: string }) => d.path)).toEqual([
        '/sort_by',
        '/sort_order',
        '/limit',
        '/offset',
      ]);
      await request(app).get(`/tasker/tasks/${taskId}/workflow_steps?limit=1&limit=2`).expect(400);
    });
  });

  describe('GET (show)', () => {
    it('shows one step of the task', async () => {
      const { taskId, charge } = await checkout(router);
      const res = await request(app).get(`/tasker/tasks/${taskId}/workflow_steps/${charge}`).expect(200);
      expect(res.body.step).toMatchObject({ workflow_step_id: charge, task_id: taskId, name: 'charge' });
    });

    it('answers 404 for a step of another task, an unknown step or task, and 400 for bad ids', async () => {
      const first = await checkout(router);
      const second = await checkout(router);
      const foreign = await request(app)
        .get(`/tasker/tasks/${first.taskId}/workflow_steps/${second.charge}`)
        .expect(404);
      expect(foreign.body).toEqual({
        error: 'not_found',
        message: `Workflow step ${second.charge} not found in task ${first.taskId}`,
      });
      await request(app).get(`/tasker/tasks/${first.taskId}/workflow_steps/999999`).expect(404);
      await request(app).get(`/tasker/tasks/999999/workflow_steps/${first.charge}`).expect(404);
      await request(app).get(`/tasker/tasks/${first.taskId}/workflow_steps/x1`).expect(400);
      await request(app).get(`/tasker/tasks/1.5/workflow_steps/${first.charge}`).expect(400);
    });
  });

  describe('PATCH | PUT', () => {
    it("changes a step's retry limit and inputs", async () => {
      const { taskId, charge } = await checkout(router);
      const patched = await request(app)
        .patch(`/tasker/tasks/${taskId}/workflow_steps/${charge}`)
        .send({ workflow_step: { retry_limit: 7, inputs: { amount: 12.5 } } })
        .expect(200);
      expect(patched.body.step).toMatchObject({ name: 'charge', retry_limit: 7, inputs: { amount: 12.5 } });
      const put = await request(app)
        .put(`/tasker/tasks/${taskId}/workflow_steps/${charge}`)
        .send({ workflow_step: { retry_limit: 1000 } })
        .expect(200);
      expect(put.body.step).toMatchObject({ retry_limit: 1000, inputs: { amount: 12.5 } });
      const shown = await request(app).get(`/tasker/tasks/${taskId}/workflow_steps/${charge}`).expect(200);
      expect(shown.body.step).toMatchObject({ retry_limit: 1000, inputs: { amount: 12.5 } });
    });

    it.each([
      ['no workflow_step', {}, '/workflow_step'],
      ['an unknown top-level field', { workflow_step: {}, force: true }, '/force'],
      ['an unknown step field', { workflow_step: { attempts: 0 } }, '/workflow_step/attempts'],
      ['retry_limit 0', { workflow_step: { retry_limit: 0 } }, '/workflow_step/retry_limit'],
      ['retry_limit 1001', { workflow_step: { retry_limit: 1001 } }, '/workflow_step/retry_limit'],
      ['a fractional retry_limit', { workflow_step: { retry_limit: 2.5 } }, '/workflow_step/retry_limit'],
      ['a string retry_limit', { workflow_step: { retry_limit: '3' } }, '/workflow_step/retry_limit'],
      ['a null retry_limit', { workflow_step: { retry_limit: null } }, '/workflow_step/retry_limit'],
      ['array inputs', { workflow_step: { inputs: [1] } }, '/workflow_step/inputs'],
      ['string inputs', { workflow_step: { inputs: 'x' } }, '/workflow_step/inputs'],
    ])('refuses a body with %s (400)', async (_case, body, path) => {
      const { taskId, charge } = await checkout(router);
      const res = await request(app)
        .patch(`/tasker/tasks/${taskId}/workflow_steps/${charge}`)
        .send(body)
        .expect(400);
      expect(res.body.error).toBe('bad_request');
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    });

    it('refuses malformed JSON (400) and answers 404 for an unknown step or task', async () => {
      const { taskId, charge } = await checkout(router);
      const malformed = await request(app)
        .patch(`/tasker/tasks/${taskId}/workflow_steps/${charge}`)
        .set('content-type', 'application/json')
        .send('{"workflow_step":')
        .expect(400);
      expect(malformed.body.error).toBe('invalid_json');
      const body = { workflow_step: { retry_limit: 5 } };
      await request(app).patch(`/tasker/tasks/${taskId}/workflow_steps/999999`).send(body).expect(404);
      await request(app).patch(`/tasker/tasks/999999/workflow_steps/${charge}`).send(body).expect(404);
      const other = await checkout(router);
      await request(app)
        .patch(`/tasker/tasks/${other.taskId}/workflow_steps/${charge}`)
        .send(body)
        .expect(404);
      await request(app).patch(`/tasker/tasks/${taskId}/workflow_steps/-1`).send(body).expect(400);
    });
  });

  describe('DELETE', () => {
    it('cancels a pending step (200), then refuses to cancel it again (409)', async () => {
      const { taskId, ship } = await checkout(router);
      const cancelled = await request(app)
        .delete(`/tasker/tasks/${taskId}/workflow_steps/${ship}`)
        .expect(200);
      expect(cancelled.body).toMatchObject({
        cancelled: true,
        step: { workflow_step_id: ship, name: 'ship', status: 'cancelled' },
      });
      const again = await request(app).delete(`/tasker/tasks/${taskId}/workflow_steps/${ship}`).expect(409);
      expect(again.body).toMatchObject({ error: 'invalid_transition', from: 'cancelled', to: 'cancelled' });
    });

    it('answers 404 for a step outside the task and 400 for a bad id', async () => {
      const { taskId } = await checkout(router);
      const other = await checkout(router);
      await request(app).delete(`/tasker/tasks/${taskId}/workflow_steps/${other.ship}`).expect(404);
      await request(app).delete(`/tasker/tasks/999999/workflow_steps/${other.ship}`).expect(404);
      await request(app).delete(`/tasker/tasks/${taskId}/workflow_steps/ship`).expect(400);
      const untouched = await router.engine.getTask(other.taskId);
      expect(untouched?.steps.every((step) => step.status === 'pending')).toBe(true);
    });
  });

  describe('POST …/resolve', () => {
    it('resolves a pending step by hand, with or without results', async () => {
      const { taskId, validate, charge } = await checkout(router);
      const bare = await request(app)
        .post(`/tasker/tasks/${taskId}/workflow_steps/${validate}/resolve`)
        .expect(200);
      expect(bare.body.step).toMatchObject({ name: 'validate', status: 'resolved_manually' });
      const withResults = await request(app)
        .post(`/tasker/tasks/${taskId}/workflow_steps/${charge}/resolve`)
        .send({ results: { receipt: 'R-1', lines: [1, 2] } })
        .expect(200);
      expect(withResults.body.step).toMatchObject({
        name: 'charge',
        status: 'resolved_manually',
        results: { receipt: 'R-1', lines: [1, 2] },
      });
      const again = await request(app)
        .post(`/tasker/tasks/${taskId}/workflow_steps/${charge}/resolve`)
        .send({})
        .expect(409);
      expect(again.body).toMatchObject({ error: 'invalid_transition', from: 'resolved_manually' });
    });

    it('accepts any JSON value as results', async () => {
      const { taskId, validate } = await checkout(router);
      const res = await request(app)
        .post(`/tasker/tasks/${taskId}/workflow_steps/${validate}/resolve`)
        .send({ results: 'done by hand' })
        .expect(200);
      expect(res.body.step.results).toBe('done by hand');
    });

    it('refuses unknown fields or a non-object body (400) and answers 404 for unknown steps', async () => {
      const { taskId, validate } = await checkout(router);
      const unknown = await request(app)
        .post(`/tasker/tasks/${taskId}/workflow_steps/${validate}/resolve`)
        .send({ results: {}, status: 'complete' })
        .expect(400);
      expect(unknown.body.details).toEqual([{ path: '/status', message: 'is not an allowed property' }]);
      await request(app)
        .post(`/tasker/tasks/${taskId}/workflow_steps/${validate}/resolve`)
        .send([{ results: {} }])
        .expect(400);
      await request(app).post(`/tasker/tasks/${taskId}/workflow_steps/999999/resolve`).expect(404);
      await request(app).post(`/tasker/tasks/999999/workflow_steps/${validate}/resolve`).expect(404);
      await request(app).post(`/tasker/tasks/${taskId}/workflow_steps/1e3/resolve`).expect(400);
      const task = await router.engine.getTask(taskId);
      expect(task?.steps[0].status).toBe('pending');
    });
  });
});

describe('REST workflow steps on a running engine', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, {
      tasks: [importTask, syncTask],
      stepHandlers,
      worker: FAST_WORKER,
      backoff: FAST_BACKOFF,
    }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('resolving a failed step with results lets the rest of the DAG run on them', async () => {
    const created = await router.engine.createTask({ name: 'import_feed', namespace: 'feeds', context: {} });
    const failed = await router.engine.runUntilSettled(created.taskId);
    expect(failed.status).toBe('error');
    const fetch = failed.steps.find((step) => step.name === 'fetch');
    expect(fetch).toMatchObject({ status: 'error', attempts: 1, retryable: false });

    const resolved = await request(app)
      .post(`/tasker/tasks/${created.taskId}/workflow_steps/${fetch?.workflowStepId}/resolve`)
      .send({ results: { rows: 42 } })
      .expect(200);
    expect(resolved.body.step).toMatchObject({ status: 'resolved_manually', results: { rows: 42 } });

    const finished = await router.engine.runUntilSettled(created.taskId);
    expect(finished.status).toBe('complete');
    expect(finished.steps.find((step) => step.name === 'use')).toMatchObject({
      status: 'complete',
      results: { fetched: { rows: 42 } },
    });
  });

  it('raising the retry limit of an exhausted step makes it run again', async () => {
    const created = await router.engine.createTask({
      name: 'sync_inventory',
      namespace: 'feeds',
      context: {},
    });
    const failed = await router.engine.runUntilSettled(created.taskId);
    expect(failed.status).toBe('error');
    const sync = failed.steps.find((step) => step.name === 'sync');
    expect(sync).toMatchObject({ status: 'error', attempts: 1, retryLimit: 1 });

    const raised = await request(app)
      .patch(`/tasker/tasks/${created.taskId}/workflow_steps/${sync?.workflowStepId}`)
      .send({ workflow_step: { retry_limit: 3 } })
      .expect(200);
    expect(raised.body.step).toMatchObject({ name: 'sync', retry_limit: 3 });

    const finished = await router.engine.runUntilSettled(created.taskId);
    expect(finished.status).toBe('complete');
    expect(finished.steps.map((step) => [step.name, step.status, step.attempts])).toEqual([
      ['sync', 'complete', 2],
      ['report', 'complete', 1],
    ]);
    expect(finished.steps[0].results).toMatchObject({ synced: true, attempt: 2 });
  });
});

describe('REST workflow steps with authentication', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [checkoutTask], stepHandlers, auth: authenticated }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  type Ids = Awaited<ReturnType<typeof checkout>>;
  const base = ({ taskId }: Ids) => `/tasker/tasks/${taskId}/workflow_steps`;
  const routes: Array<{
    route: string;
    permission: string;
    send: (ids: Ids, bearer?: string) => request.Test;
  }> = [
    {
      route: 'GET list',
      permission: 'tasker.workflow_step:index',
      send: (ids, bearer) => withToken(request(app).get(base(ids)), bearer),
    },
    {
      route: 'GET one',
      permission: 'tasker.workflow_step:show',
      send: (ids, bearer) => withToken(request(app).get(`${base(ids)}/${ids.charge}`), bearer),
    },
    {
      route: 'PATCH',
      permission: 'tasker.workflow_step:update',
      send: (ids, bearer) =>
        withToken(request(app).patch(`${base(ids)}/${ids.charge}`), bearer).send({
          workflow_step: { retry_limit: 4 },
        }),
    },
    {
      route: 'PUT',
      permission: 'tasker.workflow_step:update',
      send: (ids, bearer) =>
        withToken(request(app).put(`${base(ids)}/${ids.charge}`), bearer).send({
          workflow_step: { inputs: {} },
        }),
    },
    {
      route: 'DELETE',
      permission: 'tasker.workflow_step:cancel',
      send: (ids, bearer) => withToken(request(app).delete(`${base(ids)}/${ids.charge}`), bearer),
    },
    {
      route: 'POST resolve',
      permission: 'tasker.workflow_step:resolve',
      send: (ids, bearer) => withToken(request(app).post(`${base(ids)}/${ids.charge}/resolve`), bearer),
    },
  ];

  function withToken(test: request.Test, bearer: string | undefined): request.Test {
    return bearer === undefined ? test : test.set('authorization', `Bearer ${bearer}`);
  }

  it.each(routes)('$route needs $permission', async ({ permission, send }) => {
    const anonymous = await send(await checkout(router)).expect(401);
    expect(anonymous.body.error).toBe('Unauthorized');

    const everythingElse = PERMISSIONS.map((p) => p.permission).filter((p) => p !== permission);
    const denied = await send(await checkout(router), token({ permissions: everythingElse })).expect(403);
    expect(denied.body.error).toBe('Forbidden');

    await send(await checkout(router), token({ admin: true })).expect(200);
    await send(await checkout(router), token({ permissions: [permission] })).expect(200);
  });
});
