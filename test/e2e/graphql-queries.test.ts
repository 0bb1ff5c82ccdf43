import type express from 'express';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Task } from '../../src/interfaces';
import { defineTask } from '../../src/registry/define-task';
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

const pipeline = {
  name: 'pipeline',
  namespaceName: 'etl',
  description: 'Extract, clean and enrich side by side, then load',
  defaultDependentSystem: 'warehouse',
  schema: { type: 'object', properties: { batch: { type: 'integer' } } },
  stepTemplates: [
    { name: 'extract', handlerClass: 'Extract', dependentSystem: 'source' },
    { name: 'clean', handlerClass: 'Transform', dependsOnStep: 'extract' },
    { name: 'enrich', handlerClass: 'Transform', dependsOnStep: 'extract', defaultRetryLimit: 5 },
    { name: 'load', handlerClass: 'Load', dependsOnSteps: ['clean', 'enrich'], skippable: true },
  ],
};
const pipelineV1 = defineTask({ ...pipeline, version: '1.0.0' });
const pipelineV2 = defineTask({ ...pipeline, version: '2.0.0' });
const greet = defineTask({ name: 'greet', stepTemplates: [{ name: 'hello', handlerClass: 'Hello' }] });

type Permissions = string[] | 'admin';

async function graphql(
  app: express.Express,
  query: string,
  variables = {},
  permissions: Permissions = 'admin',
) {
  const claims = permissions === 'admin' ? { admin: true } : { permissions };
  const res = await request(app)
    .post('/tasker/graphql')
    .set('authorization', `Bearer ${token(claims)}`)
    .send({ query, variables });
  // The body is JSON of any shape; the assertions check it.
  return { status: res.status, data: res.body.data, errors: res.body.errors };
}

interface ErrorList {
  errors?: Array<{ extensions?: { code?: string } }>;
}

function codes(body: ErrorList): Array<string | undefined> {
  return (body.errors ?? []).map((error) => error.extensions?.code);
}

/** Annotations are written by host applications; there is no API for them. */
async function annotate(db: TestDatabase, taskId: number, type: string, annotation: object): Promise<void> {
  await db.pool.query(
    `WITH type AS (
       INSERT INTO tasker_annotation_types (name, description) VALUES ($1::text, $1::text || ' annotations')
       ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
       RETURNING annotation_type_id
     )
     INSERT INTO tasker_task_annotations (task_id, annotation_type_id, annotation)
     SELECT $2, annotation_type_id, $3::jsonb FROM type`,
    [type, taskId, JSON.stringify(annotation)],
  );
}

describe('GraphQL task queries', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;
  let first: Task;
  let second: Task;
  let newer: Task;
  let cancelled: Task;
  let hello: Task;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [pipelineV1, pipelineV2, greet], auth: authenticated }));
    const { engine } = router;
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
    first = await engine.createTask({
      name: 'pipeline',
      namespace: 'etl',
      version: '1.0.0',
      context: { batch: 1 },
      requestedAt: at(50),
    });
    second = await engine.createTask({
      name: 'pipeline',
      namespace: 'etl',
      version: '1.0.0',
      context: { batch: 2 },
      requestedAt: at(40),
    });
    newer = await engine.createTask({
      name: 'pipeline',
      namespace: 'etl',
      context: { batch: 3 },
      requestedAt: at(30),
    });
    cancelled = await engine.cancelTask(
      (
        await engine.createTask({
          name: 'pipeline',
          namespace: 'etl',
          context: { batch: 4 },
          requestedAt: at(20),
        })
      ).taskId,
    );
    hello = await engine.createTask({ name: 'greet', context: {}, requestedAt: at(10) });
    await annotate(db, first.taskId, 'priority', { level: 'high', team: 'ops' });
    await annotate(db, first.taskId, 'customer', { id: '42' });
    await annotate(db, second.taskId, 'priority', { level: 'low', team: 'ops' });
    await annotate(db, newer.taskId, 'priority', { level: 'high' });
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  const ids = (tasks: unknown) => (tasks as Array<{ taskId: string }>).map((task) => Number(task.taskId));

  describe('tasks', () => {
    it('lists tasks newest request first by default, with steps, relations and audit trail', async () => {
      const body = await graphql(
        app,
        `
          {
            tasks(namespace: "etl", version: "1.0.0") {
              taskId
              fullName
              status
              context
              namedTask {
                name
                namespace
                version
                description
              }
              taskAnnotations {
                annotation
                annotationType {
                  name
                  description
                }
              }
              transitions {
                fromState
                toState
                sortKey
                mostRecent
                metadata
                createdAt
              }
              workflowSteps {
                name
                status
                isRootStep
                isLeafStep
                parentCount
                childCount
                parents {
                  name
                }
                children {
                  name
                }
                namedStep {
                  name
                  dependentSystem {
                    name
                  }
                }
                transitions {
                  fromState
                  toState
                  mostRecent
                }
              }
            }
          }
        `,
      );
      expect(body.errors).toBeUndefined();
      const tasks = body.data?.tasks;
      expect(ids(tasks)).toEqual([second.taskId, first.taskId]);
      const task = tasks[1];
      expect(task).toMatchObject({
        fullName: 'etl.pipeline@1.0.0',
        status: 'pending',
        context: { batch: 1 },
        namedTask: {
          name: 'pipeline',
          namespace: 'etl',
          version: '1.0.0',
          description: pipeline.description,
        },
        taskAnnotations: [
          {
            annotation: { level: 'high', team: 'ops' },
            annotationType: { name: 'priority', description: 'priority annotations' },
          },
          { annotation: { id: '42' }, annotationType: { name: 'customer' } },
        ],
        transitions: [
          { fromState: null, toState: 'pending', sortKey: 0, mostRecent: true, metadata: expect.any(Object) },
        ],
      });
      expect(task.workflowSteps).toEqual([
        {
          name: 'extract',
          status: 'pending',
          isRootStep: true,
          isLeafStep: false,
          parentCount: 0,
          childCount: 2,
          parents: [],
          children: [{ name: 'clean' }, { name: 'enrich' }],
          namedStep: { name: 'extract', dependentSystem: { name: 'source' } },
          transitions: [],
        },
        {
          name: 'clean',
          status: 'pending',
          isRootStep: false,
          isLeafStep: false,
          parentCount: 1,
          childCount: 1,
          parents: [{ name: 'extract' }],
          children: [{ name: 'load' }],
          namedStep: { name: 'clean', dependentSystem: { name: 'warehouse' } },
          transitions: [],
        },
        expect.objectContaining({
          name: 'enrich',
          parents: [{ name: 'extract' }],
          children: [{ name: 'load' }],
        }),
        expect.objectContaining({
          name: 'load',
          isRootStep: false,
          isLeafStep: true,
          parentCount: 2,
          childCount: 0,
          parents: [{ name: 'clean' }, { name: 'enrich' }],
          children: [],
        }),
      ]);
    });

    it('filters by namespace, name, version and status, sorts, pages and clamps the limit', async () => {
      const query = `query ($args: String) { a: tasks(namespace: "etl", sortBy: "task_id", sortOrder: "asc") { taskId }
        b: tasks(status: "cancelled") { taskId status }
        c: tasks(name: "greet", namespace: "default") { taskId fullName }
        d: tasks(namespace: "etl", sortBy: "task_id", sortOrder: "asc", limit: 2, offset: 1) { taskId }
        e: tasks(namespace: "etl", limit: 1000) { taskId }
        f: tasks(namespace: "nowhere") { taskId }
        g: tasks(namespace: $args) { taskId } }`;
      const { data, errors } = await graphql(app, query);
      expect(errors).toBeUndefined();
      const etl = [first, second, newer, cancelled].map((task) => task.taskId);
      expect(ids(data?.a)).toEqual(etl);
      expect(data?.b).toEqual([{ taskId: String(cancelled.taskId), status: 'cancelled' }]);
      expect(data?.c).toEqual([{ taskId: String(hello.taskId), fullName: 'default.greet@0.1.0' }]);
      expect(ids(data?.d)).toEqual(etl.slice(1, 3));
      expect(ids(data?.e)).toEqual([...etl].reverse());
      expect(data?.f).toEqual([]);
      expect(ids(data?.g)).toEqual([hello, cancelled, newer, second, first].map((task) => task.taskId));
    });

    it('answers BAD_USER_INPUT with details for bad arguments', async () => {
      for (const args of [
        'sortBy: "password"',
        'sortOrder: "sideways"',
        'limit: 0',
        'offset: -1',
        'status: "lost"',
        'name: "a\\u0000b"',
      ]) {
        const body = await graphql(app, `{ tasks(${args}) { taskId } }`);
        expect(body.data?.tasks, args).toBeNull();
        expect(codes(body), args).toEqual(['BAD_USER_INPUT']);
        expect(body.errors?.[0].extensions.details, args).toEqual([
          expect.objectContaining({ path: expect.any(String) }),
        ]);
      }
      const typed = await graphql(app, '{ tasks(limit: "ten") { taskId } }');
      expect(typed.status).toBe(400);
      expect(typed.data).toBeUndefined();
      expect(codes(typed)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    });
  });

  describe('tasksByStatus', () => {
    it('lists the tasks in one state', async () => {
      const { data, errors } = await graphql(
        app,
        `
          {
            pending: tasksByStatus(status: "pending", sortBy: "task_id", sortOrder: "asc") {
              taskId
            }
            cancelled: tasksByStatus(status: "cancelled") {
              taskId
              workflowSteps {
                status
              }
            }
            complete: tasksByStatus(status: "complete") {
              taskId
            }
          }
        `,
      );
      expect(errors).toBeUndefined();
      expect(ids(data?.pending)).toEqual([first, second, newer, hello].map((task) => task.taskId));
      expect(data?.cancelled).toEqual([
        { taskId: String(cancelled.taskId), workflowSteps: Array(4).fill({ status: 'cancelled' }) },
      ]);
      expect(data?.complete).toEqual([]);
    });

    it('refuses an unknown state and a missing one', async () => {
      const unknown = await graphql(app, '{ tasksByStatus(status: "finished") { taskId } }');
      expect(unknown.data?.tasksByStatus).toBeNull();
      expect(codes(unknown)).toEqual(['BAD_USER_INPUT']);
      const missing = await graphql(app, '{ tasksByStatus { taskId } }');
      expect(missing.status).toBe(400);
      expect(codes(missing)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    });
  });

  describe('tasksByAnnotation', () => {
    it('matches annotation ->> key = value of the given type, newest request first', async () => {
      const query = `query ($type: String!, $key: String!, $value: String!, $limit: Int) {
        tasksByAnnotation(annotationType: $type, annotationKey: $key, annotationValue: $value, limit: $limit) {
          taskId taskAnnotations { annotationType { name } annotation } } }`;
      const high = await graphql(app, query, { type: 'priority', key: 'level', value: 'high' });
      expect(high.errors).toBeUndefined();
      expect(ids(high.data?.tasksByAnnotation)).toEqual([newer.taskId, first.taskId]);
      const ops = await graphql(app, query, { type: 'priority', key: 'team', value: 'ops', limit: 1 });
      expect(ids(ops.data?.tasksByAnnotation)).toEqual([second.taskId]);
      const customer = await graphql(app, query, { type: 'customer', key: 'id', value: '42' });
      expect(customer.data?.tasksByAnnotation).toEqual([
        {
          taskId: String(first.taskId),
          taskAnnotations: [
            { annotationType: { name: 'priority' }, annotation: { level: 'high', team: 'ops' } },
            { annotationType: { name: 'customer' }, annotation: { id: '42' } },
          ],
        },
      ]);
    });

    it('finds nothing for an unknown type, a key of another type or a key that is SQL', async () => {
      const query = `query ($type: String!, $key: String!, $value: String!) {
        tasksByAnnotation(annotationType: $type, annotationKey: $key, annotationValue: $value) { taskId } }`;
      for (const variables of [
        { type: 'nope', key: 'level', value: 'high' },
        { type: 'customer', key: 'level', value: 'high' },
        { type: 'priority', key: "level' OR '1'='1", value: 'high' },
        { type: 'priority', key: 'level', value: "x' OR 'a'='a" },
      ]) {
        const body = await graphql(app, query, variables);
        expect(body.errors, JSON.stringify(variables)).toBeUndefined();
        expect(body.data?.tasksByAnnotation, JSON.stringify(variables)).toEqual([]);
      }
    });

    it('refuses bad paging and NUL characters', async () => {
      for (const args of [
        'annotationValue: "high", limit: 0',
        'annotationValue: "high", offset: -5',
        'annotationValue: "\\u0000"',
      ]) {
        const body = await graphql(
          app,
          `{ tasksByAnnotation(annotationType: "priority", annotationKey: "level", ${args}) { taskId } }`,
        );
        expect(body.data?.tasksByAnnotation, args).toBeNull();
        expect(codes(body), args).toEqual(['BAD_USER_INPUT']);
      }
    });
  });

  describe('task and step', () => {
    it('returns one task with its relations; null for unknown or malformed ids', async () => {
      const query = `query ($id: ID!) { task(taskId: $id) { taskId status namedTask { version } transitions { fromState toState }
        workflowSteps { name status transitions { fromState toState mostRecent } } } }`;
      const found = await graphql(app, query, { id: String(cancelled.taskId) });
      expect(found.errors).toBeUndefined();
      expect(found.data?.task).toMatchObject({
        taskId: String(cancelled.taskId),
        status: 'cancelled',
        namedTask: { version: '2.0.0' },
        transitions: [
          { fromState: null, toState: 'pending' },
          { fromState: 'pending', toState: 'cancelled' },
        ],
        workflowSteps: ['extract', 'clean', 'enrich', 'load'].map((name) => ({
          name,
          status: 'cancelled',
          transitions: [{ fromState: 'pending', toState: 'cancelled', mostRecent: true }],
        })),
      });
      for (const id of ['999999', '0', '-1', 'abc', '1.5', '99999999999999999999']) {
        const missing = await graphql(app, query, { id });
        expect(missing.errors, id).toBeUndefined();
        expect(missing.data?.task, id).toBeNull();
      }
    });

    it('returns a step of a task with its DAG neighbours; null when the task has no such step', async () => {
      const [, clean] = first.steps;
      const query = `query ($taskId: ID!, $stepId: ID!) { step(taskId: $taskId, stepId: $stepId) {
        workflowStepId taskId name status retryLimit inputs isRootStep isLeafStep parentCount childCount
        parents { name children { name } } children { name parents { name } }
        namedStep { name dependentSystemId dependentSystem { name } } transitions { toState } } }`;
      const found = await graphql(
        app,
        query,
        { taskId: String(first.taskId), stepId: String(clean.workflowStepId) },
        ['tasker.workflow_step:show'],
      );
      expect(found.errors).toBeUndefined();
      expect(found.data?.step).toEqual({
        workflowStepId: String(clean.workflowStepId),
        taskId: first.taskId,
        name: 'clean',
        status: 'pending',
        retryLimit: 3,
        inputs: { batch: 1 },
        isRootStep: false,
        isLeafStep: false,
        parentCount: 1,
        childCount: 1,
        parents: [{ name: 'extract', children: [{ name: 'clean' }, { name: 'enrich' }] }],
        children: [{ name: 'load', parents: [{ name: 'clean' }, { name: 'enrich' }] }],
        namedStep: {
          name: 'clean',
          dependentSystemId: expect.any(Number),
          dependentSystem: { name: 'warehouse' },
        },
        transitions: [],
      });
      for (const variables of [
        { taskId: String(second.taskId), stepId: String(clean.workflowStepId) },
        { taskId: String(first.taskId), stepId: '999999' },
        { taskId: '999999', stepId: String(clean.workflowStepId) },
        { taskId: 'x', stepId: 'y' },
      ]) {
        const missing = await graphql(app, query, variables);
        expect(missing.errors, JSON.stringify(variables)).toBeUndefined();
        expect(missing.data?.step, JSON.stringify(variables)).toBeNull();
      }
    });
  });

  it('annotationTypes lists every type by name', async () => {
    const { data, errors } = await graphql(
      app,
      '{ annotationTypes { annotationTypeId name description createdAt } }',
    );
    expect(errors).toBeUndefined();
    expect(data?.annotationTypes).toEqual([
      {
        annotationTypeId: expect.any(String),
        name: 'customer',
        description: 'customer annotations',
        createdAt: expect.any(String),
      },
      {
        annotationTypeId: expect.any(String),
        name: 'priority',
        description: 'priority annotations',
        createdAt: expect.any(String),
      },
    ]);
  });

  describe('handlers and handler', () => {
    it('lists namespaces with their handlers and versions', async () => {
      const { data, errors } = await graphql(
        app,
        '{ handlers { name handlerCount handlers { name namespace versions latestVersion } } }',
        {},
        ['tasker.handler:index'],
      );
      expect(errors).toBeUndefined();
      expect(data?.handlers).toEqual([
        {
          name: 'default',
          handlerCount: 1,
          handlers: [{ name: 'greet', namespace: 'default', versions: ['0.1.0'], latestVersion: '0.1.0' }],
        },
        {
          name: 'etl',
          handlerCount: 1,
          handlers: [
            { name: 'pipeline', namespace: 'etl', versions: ['1.0.0', '2.0.0'], latestVersion: '2.0.0' },
          ],
        },
      ]);
    });

    it('describes one handler (latest by default) with step templates and dependency graph like REST', async () => {
      const query = `query ($namespace: String = "default", $name: String!, $version: String = "latest") {
        handler(namespace: $namespace, name: $name, version: $version) {
          name namespace version fullName description contextSchema
          stepTemplates { name description dependentSystem dependsOnSteps handlerClass configuration
                          defaultRetryable defaultRetryLimit skippable timeoutSeconds customEvents { name } }
          dependencyGraph { nodes { id name handlerClass } edges { from to type } executionOrder } } }`;
      const latest = await graphql(app, query, { namespace: 'etl', name: 'pipeline' }, [
        'tasker.handler:show',
      ]);
      expect(latest.errors).toBeUndefined();
      const handler = latest.data?.handler;
      expect(handler).toMatchObject({
        name: 'pipeline',
        namespace: 'etl',
        version: '2.0.0',
        fullName: 'etl.pipeline@2.0.0',
        description: pipeline.description,
        contextSchema: pipeline.schema,
      });
      expect(handler.stepTemplates[2]).toEqual({
        name: 'enrich',
        description: expect.any(String),
        dependentSystem: 'warehouse',
        dependsOnSteps: ['extract'],
        handlerClass: 'Transform',
        configuration: null,
        defaultRetryable: true,
        defaultRetryLimit: 5,
        skippable: false,
        timeoutSeconds: null,
        customEvents: [],
      });
      expect(handler.dependencyGraph.edges).toEqual([
        { from: 'extract', to: 'clean', type: 'dependency' },
        { from: 'extract', to: 'enrich', type: 'dependency' },
        { from: 'clean', to: 'load', type: 'dependency' },
        { from: 'enrich', to: 'load', type: 'dependency' },
      ]);
      expect(handler.dependencyGraph.nodes[0]).toEqual({
        id: 'extract',
        name: 'extract',
        handlerClass: 'Extract',
      });
      expect(handler.dependencyGraph.executionOrder).toEqual(['extract', 'clean', 'enrich', 'load']);

      const rest = await request(app)
        .get('/tasker/handlers/etl/pipeline')
        .set('authorization', `Bearer ${token({ admin: true })}`)
        .expect(200);
      expect(handler.dependencyGraph.executionOrder).toEqual(
        rest.body.handler.dependency_graph.execution_order,
      );
      expect(handler.stepTemplates.map((t: { name: string }) => t.name)).toEqual(
        rest.body.handler.step_templates.map((t: { name: string }) => t.name),
      );

      const exact = await graphql(app, query, { namespace: 'etl', name: 'pipeline', version: '1.0.0' });
      expect((exact.data?.handler as { version: string }).version).toBe('1.0.0');
      const inDefault = await graphql(app, query, { name: 'greet' });
      expect((inDefault.data?.handler as { fullName: string }).fullName).toBe('default.greet@0.1.0');
    });

    it('answers null for an unknown namespace, name or version and BAD_USER_INPUT for a malformed version', async () => {
      const query = `query ($namespace: String!, $name: String!, $version: String!) {
        handler(namespace: $namespace, name: $name, version: $version) { fullName } }`;
      for (const variables of [
        { namespace: 'nowhere', name: 'pipeline', version: 'latest' },
        { namespace: 'etl', name: 'nothing', version: 'latest' },
        { namespace: 'etl', name: 'pipeline', version: '3.0.0' },
      ]) {
        const body = await graphql(app, query, variables);
        expect(body.errors, JSON.stringify(variables)).toBeUndefined();
        expect(body.data?.handler, JSON.stringify(variables)).toBeNull();
      }
      const malformed = await graphql(app, query, { namespace: 'etl', name: 'pipeline', version: 'v1' });
      expect(malformed.data?.handler).toBeNull();
      expect(codes(malformed)).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('authorization', () => {
    const FIELDS: Array<{ field: string; permission: string; query: string }> = [
      { field: 'tasks', permission: 'tasker.task:index', query: '{ tasks { taskId } }' },
      {
        field: 'tasksByStatus',
        permission: 'tasker.task:index',
        query: '{ tasksByStatus(status: "pending") { taskId } }',
      },
      {
        field: 'tasksByAnnotation',
        permission: 'tasker.task:index',
        query:
          '{ tasksByAnnotation(annotationType: "priority", annotationKey: "level", annotationValue: "high") { taskId } }',
      },
      { field: 'task', permission: 'tasker.task:show', query: '{ task(taskId: "1") { taskId } }' },
      {
        field: 'step',
        permission: 'tasker.workflow_step:show',
        query: '{ step(taskId: "1", stepId: "1") { name } }',
      },
      { field: 'annotationTypes', permission: 'tasker.task:index', query: '{ annotationTypes { name } }' },
      { field: 'handlers', permission: 'tasker.handler:index', query: '{ handlers { name } }' },
      { field: 'handler', permission: 'tasker.handler:show', query: '{ handler(name: "greet") { name } }' },
      {
        field: 'healthStatus',
        permission: 'tasker.health_status:index',
        query: '{ healthStatus { healthy } }',
      },
      {
        field: 'analyticsPerformance',
        permission: 'tasker.analytics:index',
        query: '{ analyticsPerformance { taskThroughput } }',
      },
      {
        field: 'bottlenecks',
        permission: 'tasker.analytics:index',
        query: '{ bottlenecks { periodHours } }',
      },
    ];

    it.each(FIELDS)(
      '$field needs $permission: FORBIDDEN and null without it',
      async ({ field, permission, query }) => {
        const allowed = await graphql(app, query, {}, [permission]);
        expect(allowed.errors).toBeUndefined();
        expect(allowed.data).toHaveProperty(field);
        const others = FIELDS.map((entry) => entry.permission).filter((p) => p !== permission);
        const denied = await graphql(app, query, {}, others);
        expect(denied.data).toEqual({ [field]: null });
        expect(denied.errors).toEqual([
          expect.objectContaining({
            path: [field],
            extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
          }),
        ]);
      },
    );

    it('denies one field of an operation while the permitted fields still answer', async () => {
      const body = await graphql(
        app,
        `
          {
            tasks(namespace: "default") {
              taskId
              workflowSteps {
                name
                parents {
                  name
                }
              }
            }
            handlers {
              name
            }
            healthStatus {
              healthy
            }
            annotationTypes {
              name
            }
          }
        `,
        {},
        ['tasker.task:index'],
      );
      expect(body.data).toEqual({
        tasks: [{ taskId: String(hello.taskId), workflowSteps: [{ name: 'hello', parents: [] }] }],
        handlers: null,
        healthStatus: null,
        annotationTypes: [{ name: 'customer' }, { name: 'priority' }],
      });
      expect(body.errors.map((error: { path: string[] }) => error.path)).toEqual([
        ['handlers'],
        ['healthStatus'],
      ]);
      expect(codes(body)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    });

    it('lets an admin run every query at once', async () => {
      const body = await graphql(app, `{ ${FIELDS.map(({ query }) => query.slice(2, -2)).join(' ')} }`);
      expect(body.errors).toBeUndefined();
      expect(Object.keys(body.data ?? {}).sort()).toEqual(FIELDS.map(({ field }) => field).sort());
    });

    it('answers 401 before GraphQL runs without a token', async () => {
      await request(app).post('/tasker/graphql').send({ query: '{ handlers { name } }' }).expect(401);
    });
  });
});

/**
 * | task | definition              | created (s ago) | task history                  | steps: run = last in_progress → complete |
 * |------|-------------------------|-----------------|-------------------------------|-------------------------------------------|
 * | A    | analytics.report 1.0.0  | 600             | in_progress 599, complete 480 | s1 590→570 (20)                           |
 * | B    | analytics.report 1.0.0  | 300             | in_progress 299, error 100    | s1 290→280 (10), s2 200→error 100         |
 * | C    | analytics.export 1.0.0  | 7200            | in_progress 7199, complete 6950 | s1 7100→7050 (50)                       |
 */
describe('GraphQL healthStatus, analyticsPerformance and bottlenecks', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;
  const seeded: Record<'a' | 'b' | 'c', { taskId: number; stepIds: number[] }> = {} as never;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { auth: authenticated }));
    await router.ready();
    const base = await databaseNow(db.pool);
    const ago = (seconds: number) => secondsBefore(base, seconds);
    const history = (...entries: Array<[State, number]>): Array<[State, Date]> =>
      entries.map(([state, seconds]) => [state, ago(seconds)]);
    const seed = async (
      name: string,
      created: number,
      taskHistory: Array<[State, number]>,
      stepHistories: Array<Array<[State, number]>>,
    ) => {
      const task = await insertTask(db.pool, {
        namespace: 'analytics',
        name,
        version: '1.0.0',
        steps: stepHistories.length,
        createdAt: ago(created),
        initiator: 'alice',
        sourceSystem: 'web',
      });
      await transitionTaskThrough(db.pool, task.taskId, history(...taskHistory));
      for (const [i, entries] of stepHistories.entries()) {
        await transitionStepThrough(db.pool, task.stepIds[i], history(...entries));
      }
      return task;
    };
    seeded.a = await seed(
      'report',
      600,
      [
        ['in_progress', 599],
        ['complete', 480],
      ],
      [
        [
          ['in_progress', 590],
          ['complete', 570],
        ],
      ],
    );
    seeded.b = await seed(
      'report',
      300,
      [
        ['in_progress', 299],
        ['error', 100],
      ],
      [
        [
          ['in_progress', 290],
          ['complete', 280],
        ],
        [
          ['in_progress', 200],
          ['error', 100],
        ],
      ],
    );
    seeded.c = await seed(
      'export',
      7200,
      [
        ['in_progress', 7199],
        ['complete', 6950],
      ],
      [
        [
          ['in_progress', 7100],
          ['complete', 7050],
        ],
      ],
    );
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('healthStatus reports the counts of get_system_health_counts_v01 and judges them', async () => {
    const { data, errors } = await graphql(
      app,
      `
        {
          healthStatus {
            healthy
            status
            tasks {
              total
              pending
              inProgress
              complete
              error
              cancelled
              resolvedManually
            }
            steps {
              total
              complete
              error
            }
            retries {
              retryableErrors
              exhaustedRetries
              inBackoff
            }
            database {
              activeConnections
              maxConnections
              connectionUtilization
            }
            timestamp
          }
        }
      `,
      {},
      ['tasker.health_status:index'],
    );
    expect(errors).toBeUndefined();
    const health = data?.healthStatus;
    expect(health).toMatchObject({
      healthy: true,
      status: 'healthy',
      tasks: {
        total: 3,
        pending: 0,
        inProgress: 0,
        complete: 2,
        error: 1,
        cancelled: 0,
        resolvedManually: 0,
      },
      steps: { total: 4, complete: 3, error: 1 },
    });
    expect(health.database.maxConnections).toBeGreaterThan(0);
    expect(health.database.connectionUtilization).toBeGreaterThan(0);
    expect(Date.parse(health.timestamp)).not.toBeNaN();
  });

  it('analyticsPerformance gives the figures of the window (default the last hour)', async () => {
    const query = `query ($hours: Float) { analyticsPerformance(periodHours: $hours) {
      periodHours activeTasksCount totalNamespacesCount uniqueTaskTypesCount systemHealthScore taskThroughput
      completionCount errorCount completionRate errorRate avgTaskDuration avgStepDuration stepThroughput
      analysisPeriodStart calculatedAt } }`;
    const hour = await graphql(app, query, {}, ['tasker.analytics:index']);
    expect(hour.errors).toBeUndefined();
    const lastHour = hour.data?.analyticsPerformance;
    expect(lastHour).toMatchObject({
      periodHours: 1,
      activeTasksCount: 0,
      totalNamespacesCount: 1,
      uniqueTaskTypesCount: 2,
      systemHealthScore: 0.5,
      taskThroughput: 2,
      completionCount: 1,
      errorCount: 1,
      completionRate: 50,
      errorRate: 50,
      avgTaskDuration: 120,
      avgStepDuration: 15,
      stepThroughput: 3,
    });
    const windowMs = Date.parse(lastHour.calculatedAt) - Date.parse(lastHour.analysisPeriodStart);
    expect(Math.abs(windowMs - 3_600_000)).toBeLessThan(60_000);

    const threeHours = await graphql(app, query, { hours: 3 });
    expect(threeHours.data?.analyticsPerformance).toMatchObject({
      periodHours: 3,
      taskThroughput: 3,
      completionCount: 2,
      errorCount: 1,
      completionRate: 66.67,
      errorRate: 33.33,
      systemHealthScore: 0.667,
      avgTaskDuration: 185,
      avgStepDuration: 26.667,
      stepThroughput: 4,
    });
  });

  it('bottlenecks ranks the slowest finished tasks and completed steps, filtered and limited', async () => {
    const query = `query ($namespace: String, $name: String, $version: String, $hours: Float, $limit: Int) {
      bottlenecks(namespace: $namespace, name: $name, version: $version, periodHours: $hours, limit: $limit) {
        periodHours namespace name version
        slowestTasks { taskId taskName namespace version durationSeconds stepCount completedSteps errorSteps
                       createdAt completedAt initiator sourceSystem }
        slowestSteps { workflowStepId taskId stepName taskName namespace version durationSeconds attempts
                       createdAt completedAt retryable status } } }`;
    const all = await graphql(app, query, {}, ['tasker.analytics:index']);
    expect(all.errors).toBeUndefined();
    const day = all.data?.bottlenecks;
    expect(day).toMatchObject({ periodHours: 24, namespace: null, name: null, version: null });
    expect(
      day.slowestTasks.map((t: Record<string, unknown>) => [Number(t.taskId), t.durationSeconds]),
    ).toEqual([
      [seeded.c.taskId, 250],
      [seeded.b.taskId, 200],
      [seeded.a.taskId, 120],
    ]);
    expect(day.slowestTasks[1]).toMatchObject({
      taskName: 'report',
      namespace: 'analytics',
      version: '1.0.0',
      stepCount: 2,
      completedSteps: 1,
      errorSteps: 1,
      initiator: 'alice',
      sourceSystem: 'web',
    });
    expect(
      day.slowestSteps.map((s: Record<string, unknown>) => [Number(s.workflowStepId), s.durationSeconds]),
    ).toEqual([
      [seeded.c.stepIds[0], 50],
      [seeded.a.stepIds[0], 20],
      [seeded.b.stepIds[0], 10],
    ]);
    expect(day.slowestSteps[0]).toMatchObject({
      taskId: seeded.c.taskId,
      taskName: 'export',
      status: 'complete',
      retryable: true,
    });

    const report = await graphql(app, query, {
      namespace: 'analytics',
      name: 'report',
      version: '1.0.0',
      limit: 1,
    });
    expect(report.data?.bottlenecks).toMatchObject({
      namespace: 'analytics',
      name: 'report',
      version: '1.0.0',
      slowestTasks: [{ taskId: String(seeded.b.taskId) }],
      slowestSteps: [{ workflowStepId: String(seeded.a.stepIds[0]) }],
    });
    const lastHour = await graphql(app, query, { hours: 1 });
    expect(ids(lastHour.data?.bottlenecks.slowestTasks)).toEqual([seeded.b.taskId, seeded.a.taskId]);
    const elsewhere = await graphql(app, query, { namespace: 'nowhere' });
    expect(elsewhere.data?.bottlenecks).toMatchObject({ slowestTasks: [], slowestSteps: [] });
  });

  it('refuses a window that is not a positive number of hours, up to a year, and a limit below 1', async () => {
    for (const query of [
      '{ analyticsPerformance(periodHours: 0) { taskThroughput } }',
      '{ analyticsPerformance(periodHours: -2) { taskThroughput } }',
      '{ analyticsPerformance(periodHours: 100000) { taskThroughput } }',
      '{ bottlenecks(periodHours: 0) { periodHours } }',
      '{ bottlenecks(limit: 0) { periodHours } }',
      '{ bottlenecks(namespace: "a\\u0000") { periodHours } }',
    ]) {
      const body = await graphql(app, query);
      expect(Object.values(body.data ?? {}), query).toEqual([null]);
      expect(codes(body), query).toEqual(['BAD_USER_INPUT']);
    }
  });

  const ids = (rows: unknown) => (rows as Array<{ taskId: string }>).map((row) => Number(row.taskId));
});

describe('GraphQL nested selections cost a bounded number of statements', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  const query = `{ tasks(namespace: "etl", limit: 100) {
    taskId
    namedTask { name }
    transitions { toState }
    taskAnnotations { annotation annotationType { name } }
    workflowSteps {
      name
      parents { name }
      children { name }
      namedStep { name dependentSystem { name } }
      transitions { toState }
    } } }`;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [pipelineV1], auth: authenticated }));
    await router.ready();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await router.close();
    await db.drop();
  });

  async function createTasks(count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      const task = await router.engine.createTask({
        name: 'pipeline',
        namespace: 'etl',
        context: { batch: i },
      });
      await annotate(db, task.taskId, i % 2 ? 'odd' : 'even', { i: String(i) });
    }
  }

  /**
   * Statements sent by every pg client of this process while the query runs, except pg-boss's own and
   * the transition signals still going out after the tasks were created.
   */
  async function statementsFor(expectedTasks: number): Promise<string[]> {
    const spy = vi.spyOn(pg.Client.prototype, 'query');
    try {
      const body = await graphql(app, query);
      expect(body.errors).toBeUndefined();
      const tasks = body.data?.tasks;
      expect(tasks).toHaveLength(expectedTasks);
      expect(tasks[0].workflowSteps[3].parents).toEqual([{ name: 'clean' }, { name: 'enrich' }]);
      expect(tasks[0].taskAnnotations).toHaveLength(1);
      return spy.mock.calls
        .map(([config]) => (typeof config === 'string' ? config : (config as { text: string }).text))
        .filter((text) => !text.includes('tasker_pgboss') && !text.includes('pg_notify'));
    } finally {
      spy.mockRestore();
    }
  }

  it('is the same for 10 tasks as for 60', async () => {
    await createTasks(10);
    await graphql(app, '{ handlers { name } }');
    const ten = await statementsFor(10);
    await createTasks(50);
    const sixty = await statementsFor(60);
    expect(sixty.length).toBe(ten.length);
    expect(ten.length).toBeLessThanOrEqual(15);
  });
});
