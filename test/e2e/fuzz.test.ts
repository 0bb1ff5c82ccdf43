import type express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTask } from '../../src/registry/define-task';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { hostApp } from '../support/http-app';

const RUNS = { numRuns: 200 };

const fuzzTask = defineTask({
  name: 'fuzz',
  namespaceName: 'fuzz',
  version: '1.0.0',
  stepTemplates: [
    { name: 'first', handlerClass: 'Ok' },
    { name: 'second', handlerClass: 'Ok', dependsOnStep: 'first' },
  ],
});
const typedTask = defineTask({
  name: 'typed',
  namespaceName: 'fuzz',
  version: '1.0.0',
  schema: {
    type: 'object',
    required: ['order_id'],
    properties: { order_id: { type: 'integer' }, note: { type: 'string', maxLength: 20 } },
  },
  stepTemplates: [{ name: 'only', handlerClass: 'Ok' }],
});
const stepHandlers = { Ok: () => ({ ok: true }) };

/** Strings of any code point: NUL, lone surrogates, right-to-left marks… */
const anyString = fc.string({ unit: 'binary', maxLength: 40 });
const anyJson = fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 });
const SQL_INJECTIONS = [
  'task_id; DROP TABLE tasker_tasks',
  "'; DROP TABLE tasker_tasks; --",
  'task_id DESC; DELETE FROM tasker_tasks',
  '1 OR 1=1',
  "pending' OR '1'='1",
  '$1',
  'nul\u0000byte',
  '%',
  '\\',
];
const hostile = fc.oneof(anyString, fc.constantFrom(...SQL_INJECTIONS), fc.integer().map(String));
const anything = fc.oneof(anyJson, anyString, fc.constantFrom(...SQL_INJECTIONS));

function nested(depth: number, open: string, close: string, inner = '1'): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

/** No bad input may produce a 5xx; every 4xx is JSON `{ error, message }`. */
function expectClientSafe(res: request.Response, what: string): void {
  expect(res.status, `${what} → ${res.status} ${JSON.stringify(res.body)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers['content-type'], what).toMatch(/^application\/json/);
    expect(typeof res.body.error, what).toBe('string');
    expect(typeof res.body.message, what).toBe('string');
  }
}

describe('fuzzing the REST API', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;
  let taskId: number;
  let stepId: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [fuzzTask, typedTask], stepHandlers }));
    const created = await request(app)
      .post('/tasker/tasks')
      .send({ task: { name: 'fuzz', namespace: 'fuzz', context: {} } })
      .expect(201);
    taskId = created.body.task.task_id;
    stepId = created.body.task.workflow_steps[1].workflow_step_id;
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('answers any JSON body on POST /tasks with a 2xx or a JSON 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (body) => {
        const res = await request(app)
          .post('/tasker/tasks')
          .set('content-type', 'application/json')
          .send(JSON.stringify(body));
        expectClientSafe(res, JSON.stringify(body));
      }),
      RUNS,
    );
  });

  it('answers task bodies with wrong types and hostile strings without a 5xx', async () => {
    const task = fc.record(
      {
        name: fc.oneof(fc.constantFrom('fuzz', 'typed'), anything),
        namespace: fc.oneof(fc.constant('fuzz'), anything),
        version: fc.oneof(fc.constantFrom('1.0.0', 'latest'), anything),
        context: fc.oneof(
          fc.record({ order_id: fc.oneof(fc.integer(), anything), note: anything }),
          anything,
        ),
        initiator: anything,
        source_system: anything,
        reason: fc.oneof(anyString, anything),
        tags: fc.oneof(fc.array(anyString, { maxLength: 5 }), anything),
        bypass_steps: fc.oneof(fc.array(fc.constantFrom('first', 'second', 'nope')), anything),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(task, async (body) => {
        const res = await request(app).post('/tasker/tasks').send({ task: body });
        expectClientSafe(res, JSON.stringify(body));
      }),
      RUNS,
    );
  });

  it('answers updates of a task and of a step with any body without a 5xx', async () => {
    const method = fc.constantFrom('patch', 'put') as fc.Arbitrary<'patch' | 'put'>;
    const taskBody = fc.oneof(
      anyJson,
      fc.record({ task: fc.record({ reason: anything, tags: anything }, { requiredKeys: [] }) }),
    );
    const stepBody = fc.oneof(
      anyJson,
      fc.record({
        workflow_step: fc.record(
          { retry_limit: fc.oneof(fc.integer(), anything), inputs: anything },
          { requiredKeys: [] },
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(method, taskBody, stepBody, async (verb, forTask, forStep) => {
        const task = await request(app)
          [verb](`/tasker/tasks/${taskId}`)
          .set('content-type', 'application/json')
          .send(JSON.stringify(forTask));
        expectClientSafe(task, JSON.stringify(forTask));
        const step = await request(app)
          [verb](`/tasker/tasks/${taskId}/workflow_steps/${stepId}`)
          .set('content-type', 'application/json')
          .send(JSON.stringify(forStep));
        expectClientSafe(step, JSON.stringify(forStep));
      }),
      RUNS,
    );
  });

  it('answers resolve requests with any results without a 5xx', async () => {
    const body = fc.oneof(anyJson, fc.record({ results: anyJson }));
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const created = await request(app)
          .post('/tasker/tasks')
          .send({ task: { name: 'fuzz', namespace: 'fuzz', context: {} } })
          .expect(201);
        const [first] = created.body.task.workflow_steps;
        const res = await request(app)
          .post(`/tasker/tasks/${created.body.task.task_id}/workflow_steps/${first.workflow_step_id}/resolve`)
          .set('content-type', 'application/json')
          .send(JSON.stringify(payload));
        expectClientSafe(res, JSON.stringify(payload));
      }),
      { numRuns: 100 },
    );
  });

  it('answers random query strings on GET /tasks without a 5xx', async () => {
    const params = fc.dictionary(
      fc.constantFrom('limit', 'offset', 'sort_by', 'sort_order', 'status', 'namespace', 'name', 'version'),
      fc.oneof(hostile, fc.array(hostile, { minLength: 2, maxLength: 3 })),
    );
    await fc.assert(
      fc.asyncProperty(params, anyString, async (query, raw) => {
        const encoded = Object.entries(query)
          .flatMap(([key, value]) =>
            (Array.isArray(value) ? value : [value]).map((v) => `${key}=${encodeURIComponent(v)}`),
          )
          .join('&');
        const structured = await request(app).get(`/tasker/tasks?${encoded}`);
        expectClientSafe(structured, encoded);
        const rawQuery = await request(app).get(`/tasker/tasks?${encodeURI(raw).replace(/#/g, '%23')}`);
        expectClientSafe(rawQuery, raw);
      }),
      RUNS,
    );
  });

  it('answers random path ids and names on every route without a 5xx', async () => {
    const segment = fc.oneof(
      anyString.map(encodeURIComponent),
      fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '%00', '0', '-1', '1e3', '99999999999999999999', ' 1'),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.constantFrom(...SQL_INJECTIONS).map(encodeURIComponent),
    );
    const route = fc.constantFrom(
      (a: string) => ['get', `/tasks/${a}`],
      (a: string) => ['patch', `/tasks/${a}`],
      (a: string) => ['delete', `/tasks/${a}`],
      (a: string) => ['post', `/tasks/${a}/retry`],
      (a: string) => ['get', `/tasks/${a}/diagram`],
      (a: string) => ['get', `/tasks/${a}/workflow_steps`],
      (a: string, b: string) => ['get', `/tasks/${a}/workflow_steps/${b}`],
      (a: string, b: string) => ['put', `/tasks/${a}/workflow_steps/${b}`],
      (a: string, b: string) => ['delete', `/tasks/${a}/workflow_steps/${b}`],
      (a: string, b: string) => ['post', `/tasks/${a}/workflow_steps/${b}/resolve`],
      (a: string) => ['get', `/handlers/${a}`],
      (a: string, b: string) => ['get', `/handlers/${a}/${b}`],
      (a: string, b: string) => ['get', `/handlers/fuzz/fuzz?version=${b}&x=${a}`],
    );
    await fc.assert(
      fc.asyncProperty(route, segment, segment, async (build, a, b) => {
        const [method, path] = build(a, b) as ['get' | 'patch' | 'put' | 'post' | 'delete', string];
        const res = await request(app)[method](`/tasker${path}`);
        expectClientSafe(res, `${method} ${path}`);
      }),
      RUNS,
    );
  });

  it('survives deeply nested JSON (5,000 levels) wherever a body is read', async () => {
    const deepArray = nested(5_000, '[', ']');
    const deepObject = nested(5_000, '{"a":', '}');
    const bodies = [
      deepArray,
      deepObject,
      `{"task":{"name":"fuzz","namespace":"fuzz","context":{"deep":${deepArray}}}}`,
      `{"task":{"name":"fuzz","namespace":"fuzz","context":${deepObject}}}`,
      `{"task":{"name":"typed","namespace":"fuzz","context":{"order_id":1,"note":${deepArray}}}}`,
      `{"task":{"reason":${deepArray}}}`,
    ];
    for (const body of bodies) {
      const created = await request(app)
        .post('/tasker/tasks')
        .set('content-type', 'application/json')
        .send(body);
      expectClientSafe(created, `POST /tasks ${body.slice(0, 60)}`);
      const updated = await request(app)
        .patch(`/tasker/tasks/${taskId}`)
        .set('content-type', 'application/json')
        .send(body);
      expectClientSafe(updated, `PATCH /tasks ${body.slice(0, 60)}`);
    }
    for (const results of [deepArray, deepObject]) {
      const fresh = await request(app)
        .post('/tasker/tasks')
        .send({ task: { name: 'fuzz', namespace: 'fuzz', context: {} } })
        .expect(201);
      const [first] = fresh.body.task.workflow_steps;
      const base = `/tasker/tasks/${fresh.body.task.task_id}/workflow_steps/${first.workflow_step_id}`;
      const inputs = await request(app)
        .patch(base)
        .set('content-type', 'application/json')
        .send(`{"workflow_step":{"inputs":{"deep":${results}}}}`);
      expectClientSafe(inputs, 'PATCH step inputs (deep)');
      const resolved = await request(app)
        .post(`${base}/resolve`)
        .set('content-type', 'application/json')
        .send(`{"results":${results}}`);
      expectClientSafe(resolved, 'resolve (deep)');
    }
  });

  it('refuses over-deep bodies and NUL characters with a 400 that points at the problem', async () => {
    const deep = await request(app)
      .post('/tasker/tasks')
      .set('content-type', 'application/json')
      .send(`{"task":{"name":"fuzz","namespace":"fuzz","context":{"deep":${nested(5_000, '[', ']')}}}}`)
      .expect(400);
    expect(deep.body).toMatchObject({
      error: 'bad_request',
      details: [
        {
          path: expect.stringMatching(/^\/task\/context\/deep\/0\/0/),
          message: expect.stringMatching(/deeper/),
        },
      ],
    });
    const nul = await request(app)
      .patch(`/tasker/tasks/${taskId}`)
      .send({ task: { reason: 'a\u0000b' } })
      .expect(400);
    expect(nul.body.details).toEqual([{ path: '/task/reason', message: expect.stringMatching(/NUL/) }]);
    const nulQuery = await request(app).get('/tasker/tasks?namespace=a%00b').expect(400);
    expect(nulQuery.body.details).toEqual([{ path: '/namespace', message: expect.stringMatching(/NUL/) }]);
  });

  it('answers huge strings with 400 or 413, never a 5xx', async () => {
    const big = 'x'.repeat(900_000);
    const cases = [
      { task: { name: big, namespace: 'fuzz', context: {} } },
      { task: { name: 'fuzz', namespace: 'fuzz', context: {}, tags: [big] } },
      { task: { name: 'fuzz', namespace: 'fuzz', context: { blob: 'y'.repeat(2_000_000) } } },
      { task: { name: 'fuzz', namespace: big, context: {} } },
    ];
    for (const body of cases) {
      const res = await request(app).post('/tasker/tasks').send(body);
      expectClientSafe(res, 'huge body');
      expect([400, 404, 413]).toContain(res.status);
    }
    const longQuery = await request(app).get(`/tasker/tasks?sort_by=${'z'.repeat(10_000)}`);
    expectClientSafe(longQuery, 'long query');
  });

  it('answers non-JSON and broken JSON bodies with a JSON 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyString,
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        async (raw, type) => {
          const res = await request(app).post('/tasker/tasks').set('content-type', type).send(raw);
          expectClientSafe(res, `${type}: ${raw}`);
        },
      ),
      RUNS,
    );
  });

  it('still has its tables and answers normal requests afterwards', async () => {
    const { rows } = await db.pool.query<{ table: string | null }>(
      `SELECT to_regclass('public.tasker_tasks')::text AS table`,
    );
    expect(rows[0].table).toBe('tasker_tasks');
    const list = await request(app).get('/tasker/tasks?limit=1').expect(200);
    expect(list.body.pagination.total).toBeGreaterThan(0);
    await request(app).get(`/tasker/tasks/${taskId}`).expect(200);
  });
});
