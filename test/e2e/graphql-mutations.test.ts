import type express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/permissions';
import { PermanentError } from '../../src/handlers/step-errors';
import { defineTask } from '../../src/registry/define-task';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER } from '../support/engine';
import { authenticated, hostApp, token } from '../support/http-app';

const greetSchema = { type: 'object', required: ['who'], properties: { who: { type: 'string' } } };

/** greet 1.0.0: a → b; greet 2.0.0 adds c (b and c after a). `extra` can be bypassed. */
const greetV1 = defineTask({
  name: 'greet',
  namespaceName: 'people',
  version: '1.0.0',
  schema: greetSchema,
  stepTemplates: [
    { name: 'a', handlerClass: 'Ok' },
    { name: 'b', handlerClass: 'Ok', dependsOnStep: 'a' },
  ],
});
const greetV2 = defineTask({
  name: 'greet',
  namespaceName: 'people',
  version: '2.0.0',
  schema: greetSchema,
  stepTemplates: [
    { name: 'a', handlerClass: 'Ok' },
    { name: 'b', handlerClass: 'Ok', dependsOnStep: 'a' },
    { name: 'c', handlerClass: 'Ok', dependsOnStep: 'a', skippable: true },
  ],
});

const TASK_FIELDS =
  'taskId name namespace version status context reason tags workflowSteps { workflowStepId name status }';
const STEP_FIELDS = 'workflowStepId taskId name status retryLimit inputs results';

const MUTATIONS = {
  createTask: `mutation ($input: CreateTaskInput!) { createTask(input: $input) { ${TASK_FIELDS} } }`,
  updateTask: `mutation ($input: UpdateTaskInput!) { updateTask(input: $input) { ${TASK_FIELDS} } }`,
  cancelTask: `mutation ($input: CancelTaskInput!) { cancelTask(input: $input) { ${TASK_FIELDS} } }`,
  retryTask: `mutation ($input: RetryTaskInput!) { retryTask(input: $input) { ${TASK_FIELDS} } }`,
  updateStep: `mutation ($input: UpdateStepInput!) { updateStep(input: $input) { ${STEP_FIELDS} } }`,
  cancelStep: `mutation ($input: CancelStepInput!) { cancelStep(input: $input) { ${STEP_FIELDS} } }`,
  resolveStep: `mutation ($input: ResolveStepInput!) { resolveStep(input: $input) { ${STEP_FIELDS} } }`,
} as const;

type MutationName = keyof typeof MUTATIONS;

interface GraphQLErrorJson {
  message: string;
  extensions: { code: string; details?: { path: string; message: string }[] };
}

const ADMIN = token({ admin: true });

/** POSTs one mutation; `bearer` defaults to an admin token. */
async function mutate(
  app: express.Express,
  name: MutationName,
  input: Record<string, unknown>,
  bearer = ADMIN,
): Promise<{ data: Record<string, Record<string, unknown> | null> | null; errors?: GraphQLErrorJson[] }> {
  const res = await request(app)
    .post('/tasker/graphql')
    .set('authorization', `Bearer ${bearer}`)
    .send({ query: MUTATIONS[name], variables: { input } })
    .expect(200);
  return res.body;
}

/** The single error of a failed mutation (its field is null). */
async function failure(
  app: express.Express,
  name: MutationName,
  input: Record<string, unknown>,
  bearer = ADMIN,
): Promise<GraphQLErrorJson> {
  const body = await mutate(app, name, input, bearer);
  expect(body.data?.[name] ?? null).toBeNull();
  expect(body.errors).toHaveLength(1);
  return body.errors?.[0] as GraphQLErrorJson;
}

async function success(
  app: express.Express,
  name: MutationName,
  input: Record<string, unknown>,
  bearer = ADMIN,
): Promise<Record<string, unknown>> {
  const body = await mutate(app, name, input, bearer);
  expect(body.errors).toBeUndefined();
  return body.data?.[name] as Record<string, unknown>;
}

describe('GraphQL mutations', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;
  let seq = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, {
      tasks: [greetV1, greetV2],
      auth: authenticated,
      identityStrategy: 'hash',
    }));
    await router.ready();
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  /** A fresh pending task (a distinct context, so the hash identity never collides). */
  async function pendingTask(version = '1.0.0') {
    seq += 1;
    return router.engine.createTask({
      name: 'greet',
      namespace: 'people',
      version,
      context: { who: `person-${seq}` },
    });
  }

  async function taskCount(): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tasker_tasks');
    return rows[0].n;
  }

  describe('createTask', () => {
    it('creates a task of the given namespace and version, its context a JSON object', async () => {
      const task = await success(app, 'createTask', {
        name: 'greet',
        namespace: 'people',
        version: '1.0.0',
        context: { who: 'ada', nested: { list: [1, 2] } },
        reason: 'welcome',
        tags: ['vip'],
      });
      expect(task).toMatchObject({
        name: 'greet',
        namespace: 'people',
        version: '1.0.0',
        status: 'pending',
        context: { who: 'ada', nested: { list: [1, 2] } },
        reason: 'welcome',
        tags: ['vip'],
      });
      expect((task.workflowSteps as { name: string }[]).map((step) => step.name)).toEqual(['a', 'b']);
      expect(await router.engine.getTask(Number(task.taskId))).toMatchObject({ version: '1.0.0' });
    });

    it('takes the highest version when none is given, and skips bypassed steps', async () => {
      const task = await success(app, 'createTask', {
        name: 'greet',
        namespace: 'people',
        context: { who: 'grace' },
        bypassSteps: ['c'],
      });
      expect(task.version).toBe('2.0.0');
      expect(task.workflowSteps).toEqual([
        expect.objectContaining({ name: 'a', status: 'pending' }),
        expect.objectContaining({ name: 'b', status: 'pending' }),
        expect.objectContaining({ name: 'c', status: 'resolved_manually' }),
      ]);
    });

    it('refuses a context that is a string or an array with BAD_USER_INPUT, creating nothing', async () => {
      const before = await taskCount();
      for (const context of ['{"who":"ada"}', [{ who: 'ada' }]]) {
        const error = await failure(app, 'createTask', { name: 'greet', namespace: 'people', context });
        expect(error.extensions).toEqual({
          code: 'BAD_USER_INPUT',
          details: [{ path: '/context', message: 'must be a JSON object' }],
        });
      }
      expect(await taskCount()).toBe(before);
    });

    it('refuses a context that fails the definition schema, with a detail per problem', async () => {
      const error = await failure(app, 'createTask', {
        name: 'greet',
        namespace: 'people',
        context: { who: 42 },
      });
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.extensions.details).toEqual([{ path: '/who', message: expect.stringMatching(/string/) }]);
      const missing = await failure(app, 'createTask', { name: 'greet', namespace: 'people', context: {} });
      expect(missing.extensions.details).toEqual([{ path: '/who', message: 'is required' }]);
    });

    it('refuses bad request fields (an unknown bypassed step, an empty tag) with details', async () => {
      const bypass = await failure(app, 'createTask', {
        name: 'greet',
        namespace: 'people',
        context: { who: 'x' },
        bypassSteps: ['nope'],
      });
      expect(bypass.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        details: [{ path: '/bypassSteps/0', message: expect.stringContaining('nope') }],
      });
      const tag = await failure(app, 'createTask', {
        name: 'greet',
        namespace: 'people',
        context: { who: 'y' },
        tags: [''],
      });
      expect(tag.extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: [{ path: '/tags/0' }] });
    });

    it('answers NOT_FOUND for a task name or version nobody registered', async () => {
      const name = await failure(app, 'createTask', { name: 'nope', namespace: 'people', context: {} });
      expect(name.extensions.code).toBe('NOT_FOUND');
      const version = await failure(app, 'createTask', {
        name: 'greet',
        namespace: 'people',
        version: '9.9.9',
        context: { who: 'z' },
      });
      expect(version.extensions.code).toBe('NOT_FOUND');
    });

    it('answers CONFLICT for a duplicate under the hash identity strategy', async () => {
      const input = { name: 'greet', namespace: 'people', version: '1.0.0', context: { who: 'twin' } };
      await success(app, 'createTask', input);
      const error = await failure(app, 'createTask', input);
      expect(error.extensions.code).toBe('CONFLICT');
      expect(error.message).toMatch(/already exists/);
    });
  });

  describe('updateTask', () => {
    it("changes a task's reason and tags", async () => {
      const created = await pendingTask();
      const task = await success(app, 'updateTask', {
        taskId: String(created.taskId),
        reason: 'renamed',
        tags: ['a', 'b'],
      });
      expect(task).toMatchObject({ taskId: String(created.taskId), reason: 'renamed', tags: ['a', 'b'] });
      expect(await router.engine.getTask(created.taskId)).toMatchObject({
        reason: 'renamed',
        tags: ['a', 'b'],
      });
    });

    it('answers NOT_FOUND for an unknown task and BAD_USER_INPUT for bad ids and values', async () => {
      expect((await failure(app, 'updateTask', { taskId: '999999', reason: 'x' })).extensions.code).toBe(
        'NOT_FOUND',
      );
      expect((await failure(app, 'updateTask', { taskId: 'abc', reason: 'x' })).extensions).toEqual({
        code: 'BAD_USER_INPUT',
        details: [{ path: '/taskId', message: 'must be a positive integer' }],
      });
      const created = await pendingTask();
      const tooLong = await failure(app, 'updateTask', {
        taskId: String(created.taskId),
        reason: 'x'.repeat(200),
      });
      expect(tooLong.extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: [{ path: '/reason' }] });
    });
  });

  describe('cancelTask', () => {
    it('cancels a task and its unfinished steps; a second cancel is a CONFLICT', async () => {
      const created = await pendingTask();
      const task = await success(app, 'cancelTask', { taskId: String(created.taskId) });
      expect(task.status).toBe('cancelled');
      expect((task.workflowSteps as { status: string }[]).map((step) => step.status)).toEqual([
        'cancelled',
        'cancelled',
      ]);
      const again = await failure(app, 'cancelTask', { taskId: String(created.taskId) });
      expect(again.extensions.code).toBe('CONFLICT');
      expect(again.message).toMatch(/cancelled/);
    });

    it('answers NOT_FOUND for an unknown task', async () => {
      expect((await failure(app, 'cancelTask', { taskId: '999999' })).extensions.code).toBe('NOT_FOUND');
    });
  });

  describe('retryTask', () => {
    it('is a CONFLICT for a task that is not in error, NOT_FOUND for an unknown one', async () => {
      const created = await pendingTask();
      const error = await failure(app, 'retryTask', { taskId: String(created.taskId) });
      expect(error.extensions.code).toBe('CONFLICT');
      expect((await router.engine.getTask(created.taskId))?.status).toBe('pending');
      expect((await failure(app, 'retryTask', { taskId: '999999' })).extensions.code).toBe('NOT_FOUND');
    });
  });

  describe('updateStep', () => {
    it("changes a step's retry limit and inputs", async () => {
      const created = await pendingTask();
      const [a] = created.steps;
      const step = await success(app, 'updateStep', {
        taskId: String(created.taskId),
        stepId: String(a.workflowStepId),
        retryLimit: 7,
        inputs: { region: 'eu' },
      });
      expect(step).toMatchObject({
        workflowStepId: String(a.workflowStepId),
        taskId: created.taskId,
        name: 'a',
        retryLimit: 7,
        inputs: { region: 'eu' },
      });
    });

    it('answers NOT_FOUND for an unknown step or a step of another task', async () => {
      const created = await pendingTask();
      const other = await pendingTask();
      const taskId = String(created.taskId);
      for (const stepId of ['999999', String(other.steps[0].workflowStepId)]) {
        const error = await failure(app, 'updateStep', { taskId, stepId, retryLimit: 2 });
        expect(error.extensions.code).toBe('NOT_FOUND');
      }
      const unknownTask = await failure(app, 'updateStep', {
        taskId: '999999',
        stepId: String(created.steps[0].workflowStepId),
        retryLimit: 2,
      });
      expect(unknownTask.extensions.code).toBe('NOT_FOUND');
    });

    it('refuses a retry limit out of range and inputs that are not an object with BAD_USER_INPUT', async () => {
      const created = await pendingTask();
      const ids = { taskId: String(created.taskId), stepId: String(created.steps[0].workflowStepId) };
      const limit = await failure(app, 'updateStep', { ...ids, retryLimit: 0 });
      expect(limit.extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: [{ path: '/retry_limit' }] });
      const inputs = await failure(app, 'updateStep', { ...ids, inputs: [1, 2] });
      expect(inputs.extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: [{ path: '/inputs' }] });
      const badId = await failure(app, 'updateStep', { ...ids, stepId: '-1', retryLimit: 2 });
      expect(badId.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        details: [{ path: '/stepId', message: 'must be a positive integer' }],
      });
    });
  });

  describe('cancelStep', () => {
    it('cancels a pending step; cancelling it again is a CONFLICT; an unknown step NOT_FOUND', async () => {
      const created = await pendingTask();
      const ids = { taskId: String(created.taskId), stepId: String(created.steps[1].workflowStepId) };
      expect(await success(app, 'cancelStep', ids)).toMatchObject({ name: 'b', status: 'cancelled' });
      expect((await failure(app, 'cancelStep', ids)).extensions.code).toBe('CONFLICT');
      const unknown = await failure(app, 'cancelStep', { ...ids, stepId: '999999' });
      expect(unknown.extensions.code).toBe('NOT_FOUND');
    });
  });

  describe('resolveStep', () => {
    it('resolves a pending step with results; resolving it again is a CONFLICT; unknown NOT_FOUND', async () => {
      const created = await pendingTask();
      const ids = { taskId: String(created.taskId), stepId: String(created.steps[0].workflowStepId) };
      const step = await success(app, 'resolveStep', { ...ids, results: { approvedBy: 'ops' } });
      expect(step).toMatchObject({ name: 'a', status: 'resolved_manually', results: { approvedBy: 'ops' } });
      const again = await failure(app, 'resolveStep', ids);
      expect(again.extensions.code).toBe('CONFLICT');
      const unknown = await failure(app, 'resolveStep', { taskId: '999999', stepId: ids.stepId });
      expect(unknown.extensions.code).toBe('NOT_FOUND');
    });
  });

  describe('permissions', () => {
    /** What each mutation needs, and a valid input for it on a fresh pending task. */
    const cases: [MutationName, string, () => Promise<Record<string, unknown>>][] = [
      [
        'createTask',
        'tasker.task:create',
        async () => ({ name: 'greet', namespace: 'people', context: { who: `p${++seq}` } }),
      ],
      [
        'updateTask',
        'tasker.task:update',
        async () => ({ taskId: String((await pendingTask()).taskId), reason: 'r' }),
      ],
      ['cancelTask', 'tasker.task:cancel', async () => ({ taskId: String((await pendingTask()).taskId) })],
      ['retryTask', 'tasker.task:retry', async () => ({ taskId: String((await pendingTask()).taskId) })],
      ...(['updateStep', 'cancelStep', 'resolveStep'] as const).map(
        (name): [MutationName, string, () => Promise<Record<string, unknown>>] => [
          name,
          `tasker.workflow_step:${name.replace('Step', '')}`,
          async () => {
            const task = await pendingTask();
            return {
              taskId: String(task.taskId),
              stepId: String(task.steps[0].workflowStepId),
              ...(name === 'updateStep' ? { retryLimit: 3 } : {}),
            };
          },
        ],
      ),
    ];

    it.each(cases)(
      '%s is FORBIDDEN without %s (even holding every other permission) and changes nothing',
      async (name, permission, input) => {
        const others = PERMISSIONS.map((entry) => entry.permission).filter((p) => p !== permission);
        const given = await input();
        const before = await taskCount();
        const snapshot = given.taskId ? await router.engine.getTask(Number(given.taskId)) : undefined;
        const error = await failure(app, name, given, token({ permissions: others }));
        expect(error.extensions.code).toBe('FORBIDDEN');
        expect(await taskCount()).toBe(before);
        if (snapshot) expect(await router.engine.getTask(snapshot.taskId)).toEqual(snapshot);
      },
    );

    it.each(cases)('%s is allowed with %s alone', async (name, permission, input) => {
      const bearer = token({ permissions: [permission] });
      if (name === 'retryTask') {
        // Past the permission check, a pending task cannot be retried (success: see the worker suite).
        expect((await failure(app, name, await input(), bearer)).extensions.code).toBe('CONFLICT');
      } else {
        expect(await success(app, name, await input(), bearer)).not.toBeNull();
      }
    });

    it('checks the permission before the input: bad input without permission is FORBIDDEN', async () => {
      const error = await failure(
        app,
        'createTask',
        { name: 'greet', namespace: 'people', context: 'not an object' },
        token({ permissions: [] }),
      );
      expect(error.extensions.code).toBe('FORBIDDEN');
      const cancel = await failure(app, 'cancelTask', { taskId: 'abc' }, token({ permissions: [] }));
      expect(cancel.extensions.code).toBe('FORBIDDEN');
    });

    it('answers 401 before GraphQL runs without a token', async () => {
      const res = await request(app)
        .post('/tasker/graphql')
        .send({ query: MUTATIONS.cancelTask, variables: { input: { taskId: '1' } } })
        .expect(401);
      expect(res.body).toEqual({ error: 'Unauthorized', message: 'Missing bearer token' });
    });
  });
});

/** ship 1.0.0: pack → send; ship 2.0.0 adds label. flaky fails for good on its first run only. */
const shipV1 = defineTask({
  name: 'ship',
  namespaceName: 'shop',
  version: '1.0.0',
  stepTemplates: [
    { name: 'pack', handlerClass: 'Ok' },
    { name: 'send', handlerClass: 'Ok', dependsOnStep: 'pack' },
  ],
});
const shipV2 = defineTask({
  name: 'ship',
  namespaceName: 'shop',
  version: '2.0.0',
  stepTemplates: [
    { name: 'pack', handlerClass: 'Ok' },
    { name: 'label', handlerClass: 'Ok', dependsOnStep: 'pack' },
    { name: 'send', handlerClass: 'Ok', dependsOnStep: 'label' },
  ],
});
const flaky = defineTask({
  name: 'flaky',
  namespaceName: 'shop',
  version: '1.0.0',
  stepTemplates: [
    { name: 'try', handlerClass: 'FailsOnce' },
    { name: 'after', handlerClass: 'Ok', dependsOnStep: 'try' },
  ],
});

describe('GraphQL mutations with workers running', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;
  let failuresLeft = 1;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, {
      tasks: [shipV1, shipV2, flaky],
      stepHandlers: {
        Ok: () => ({ ok: true }),
        FailsOnce: () => {
          if (failuresLeft > 0) {
            failuresLeft -= 1;
            throw new PermanentError('carrier refused', { errorCode: 'REFUSED' });
          }
          return { ok: true };
        },
      },
      worker: FAST_WORKER,
      backoff: FAST_BACKOFF,
      auth: authenticated,
    }));
    await router.ready();
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('runs a task created with a namespace and version to completion', async () => {
    const created = await success(app, 'createTask', {
      name: 'ship',
      namespace: 'shop',
      version: '1.0.0',
      context: { order: 1 },
    });
    const settled = await router.engine.runUntilSettled(Number(created.taskId));
    expect(settled.status).toBe('complete');
    expect(settled.version).toBe('1.0.0');
    expect(settled.steps.map((step) => [step.name, step.status])).toEqual([
      ['pack', 'complete'],
      ['send', 'complete'],
    ]);
  });

  it('retryTask takes a task in error back to running, and it completes', async () => {
    const created = await success(app, 'createTask', { name: 'flaky', namespace: 'shop', context: {} });
    const failed = await router.engine.runUntilSettled(Number(created.taskId));
    expect(failed.status).toBe('error');
    const retried = await success(app, 'retryTask', { taskId: String(created.taskId) });
    expect(['pending', 'in_progress', 'complete']).toContain(retried.status);
    const settled = await router.engine.runUntilSettled(Number(created.taskId));
    expect(settled.status).toBe('complete');
    expect(settled.steps.map((step) => step.status)).toEqual(['complete', 'complete']);
  });
});
