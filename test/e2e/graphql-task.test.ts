import type express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTask } from '../../src/registry/define-task';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { authenticated, hostApp, token } from '../support/http-app';

const definition = defineTask({
  name: 'greet',
  stepTemplates: [
    { name: 'a', handlerClass: 'Ok' },
    { name: 'b', handlerClass: 'Ok', dependsOnStep: 'a' },
  ],
});

describe('GraphQL task(taskId)', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [definition], auth: authenticated }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  const query = `query ($id: ID!) { task(taskId: $id) { taskId name status context workflowSteps { name status dependsOn } } }`;

  it('returns the task with its real JSON context and steps; null for an unknown id', async () => {
    const created = await router.engine.createTask({ name: 'greet', context: { who: 'ada' } });
    const res = await request(app)
      .post('/tasker/graphql')
      .set('authorization', `Bearer ${token({ permissions: ['tasker.task:show'] })}`)
      .send({ query, variables: { id: String(created.taskId) } })
      .expect(200);
    expect(res.body.data.task).toEqual({
      taskId: String(created.taskId),
      name: 'greet',
      status: 'pending',
      context: { who: 'ada' },
      workflowSteps: [
        { name: 'a', status: 'pending', dependsOn: [] },
        { name: 'b', status: 'pending', dependsOn: ['a'] },
      ],
    });
    const missing = await request(app)
      .post('/tasker/graphql')
      .set('authorization', `Bearer ${token({ admin: true })}`)
      .send({ query, variables: { id: '999999' } })
      .expect(200);
    expect(missing.body.data.task).toBeNull();
  });

  it('answers 401 before GraphQL runs without a valid token, and FORBIDDEN per field without the permission', async () => {
    const anonymous = await request(app)
      .post('/tasker/graphql')
      .send({ query, variables: { id: '1' } })
      .expect(401);
    expect(anonymous.body).toEqual({ error: 'Unauthorized', message: 'Missing bearer token' });
    const denied = await request(app)
      .post('/tasker/graphql')
      .set('authorization', `Bearer ${token({ permissions: ['tasker.task:index'] })}`)
      .send({ query, variables: { id: '1' } })
      .expect(200);
    expect(denied.body.data.task).toBeNull();
    expect(denied.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('refuses over-deep and over-complex operations before running them', async () => {
    const deep = `{ task(taskId: "1") { ${'workflowSteps { '.repeat(1)} name ${'}'.repeat(1)} } }`;
    await request(app)
      .post('/tasker/graphql')
      .set('authorization', `Bearer ${token({ admin: true })}`)
      .send({ query: deep })
      .expect(200);
    const aliases = Array.from({ length: 6000 }, (_, i) => `a${i}: task(taskId: "1") { taskId }`).join(' ');
    const res = await request(app)
      .post('/tasker/graphql')
      .set('authorization', `Bearer ${token({ admin: true })}`)
      .send({ query: `{ ${aliases} }` });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toMatch(/complexity/);
  });
});
