import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPermission } from '../../src/auth/permissions';
import { defineTask } from '../../src/registry/define-task';
import { OPENAPI_DOCUMENT_PATH } from '../../src/rest/openapi-routes';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { authenticated, hostApp, openApiPath, registeredRoutes, token } from '../support/http-app';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const DOCUMENT_ID = 'https://tasker.test/openapi.json';

interface Operation {
  security?: unknown[];
  'x-tasker-permission'?: string;
  parameters?: { in: string; name: string }[];
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>;
}
type PathItem = Record<string, Operation> & { parameters?: { in: string; name: string }[] };
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, PathItem>;
  components: { securitySchemes: Record<string, unknown>; responses: Record<string, unknown> };
}

const document = JSON.parse(readFileSync(OPENAPI_DOCUMENT_PATH, 'utf8')) as OpenApiDocument;

function documentedOperations(): { method: string; path: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({
      method: method.toUpperCase(),
      path,
      operation: item[method],
    })),
  );
}

function key({ method, path }: { method: string; path: string }): string {
  return `${method} ${path}`;
}

const pointer = (...segments: string[]) =>
  segments.map((s) => `/${encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('');

/** Validates response bodies against the document's own response schemas. */
function responseValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  return (method: string, path: string, status: number, body: unknown) => {
    const responses = document.paths[path][method.toLowerCase()].responses;
    const response = responses[String(status)];
    if (!response) throw new Error(`${method} ${path} documents no ${status} response`);
    const location = response.$ref
      ? `${response.$ref.slice(1)}${pointer('content', 'application/json', 'schema')}`
      : pointer('paths', path, method.toLowerCase(), 'responses', String(status)) +
        pointer('content', 'application/json', 'schema');
    const validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${location}` });
    const valid = validate(body);
    return valid ? [] : (validate.errors ?? []);
  };
}

const orderTask = defineTask({
  name: 'process_order',
  namespaceName: 'shop',
  version: '1.0.0',
  schema: { type: 'object', required: ['order_id'], properties: { order_id: { type: 'integer' } } },
  stepTemplates: [
    { name: 'validate', handlerClass: 'Ok', description: 'checks the order' },
    { name: 'charge', handlerClass: 'Ok', dependsOnStep: 'validate' },
  ],
});
const stepHandlers = { Ok: () => ({ ok: true }) };

describe('GET /openapi.json', () => {
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

  it('is public JSON with openapi 3.1.0, the checked-in document', async () => {
    const res = await request(app).get('/tasker/openapi.json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body).toEqual(document);
    expect(document.components.securitySchemes.bearerAuth).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
  });

  it('documents exactly the routes the router registers', () => {
    const registered = registeredRoutes(router).map((route) =>
      key({ ...route, path: openApiPath(route.path) }),
    );
    const documented = documentedOperations().map(key);
    expect(new Set(registered).size).toBe(registered.length);
    expect([...documented].sort()).toEqual([...registered].sort());
  });

  it('names a registered permission on every protected operation and marks the public ones', () => {
    const publicOperations = ['GET /health/live', 'GET /health/ready', 'GET /openapi.json'];
    for (const entry of documentedOperations()) {
      const permission = entry.operation['x-tasker-permission'];
      if (publicOperations.includes(key(entry))) {
        expect(permission, key(entry)).toBeUndefined();
        expect(entry.operation.security, key(entry)).toEqual([]);
      } else {
        expect(permission && isPermission(permission), `${key(entry)}: ${permission}`).toBe(true);
        expect(Object.keys(entry.operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
  });

  it('declares every path template parameter', () => {
    for (const entry of documentedOperations()) {
      const declared = [
        ...(document.paths[entry.path].parameters ?? []),
        ...(entry.operation.parameters ?? []),
      ]
        .filter((parameter) => parameter.in === 'path')
        .map((parameter) => parameter.name);
      const templated = [...entry.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      expect(declared.sort(), key(entry)).toEqual(templated.sort());
    }
  });

  it('describes the bodies the routes really answer with', async () => {
    const validate = responseValidator();
    const admin = `Bearer ${token({ admin: true })}`;
    const check = async (
      method: 'get' | 'post' | 'patch' | 'put' | 'delete',
      documentedPath: string,
      url: string,
      status: number,
      body?: object,
    ) => {
      let pending = request(app)
        [method](`/tasker${url}`)
        .set('authorization', admin)
        .set('accept', 'application/json');
      if (body) pending = pending.send(body);
      const res = await pending.expect(status);
      expect(validate(method, documentedPath, status, res.body), `${method} ${url}`).toEqual([]);
      return res.body;
    };

    const created = await check('post', '/tasks', '/tasks', 201, {
      task: { name: 'process_order', namespace: 'shop', context: { order_id: 1 }, tags: ['a'] },
    });
    const id = created.task.task_id as number;
    const stepId = created.task.workflow_steps[0].workflow_step_id as number;
    await check('get', '/tasks', '/tasks?limit=5', 200);
    await check('get', '/tasks/{id}', `/tasks/${id}`, 200);
    await check('patch', '/tasks/{id}', `/tasks/${id}`, 200, { task: { reason: 'because' } });
    await check('put', '/tasks/{id}', `/tasks/${id}`, 200, { task: { tags: ['b'] } });
    await check('get', '/tasks/{id}/diagram', `/tasks/${id}/diagram`, 200);
    await check('get', '/tasks/{task_id}/workflow_steps', `/tasks/${id}/workflow_steps`, 200);
    await check('get', '/tasks/{task_id}/workflow_steps/{id}', `/tasks/${id}/workflow_steps/${stepId}`, 200);
    await check(
      'patch',
      '/tasks/{task_id}/workflow_steps/{id}',
      `/tasks/${id}/workflow_steps/${stepId}`,
      200,
      {
        workflow_step: { retry_limit: 5 },
      },
    );
    await check('get', '/health/live', '/health/live', 200);
    await check('get', '/health/ready', '/health/ready', 200);
    await check('get', '/health/status', '/health/status', 200);
    await check('get', '/analytics/performance', '/analytics/performance', 200);
    await check('get', '/analytics/bottlenecks', '/analytics/bottlenecks?namespace=shop', 200);
    await check('get', '/analytics/bottlenecks', '/analytics/bottlenecks?period_hours=0', 400);
    await check(
      'post',
      '/tasks/{task_id}/workflow_steps/{id}/resolve',
      `/tasks/${id}/workflow_steps/${stepId}/resolve`,
      200,
      { results: { by: 'hand' } },
    );
    const lastStep = created.task.workflow_steps[1].workflow_step_id as number;
    await check(
      'delete',
      '/tasks/{task_id}/workflow_steps/{id}',
      `/tasks/${id}/workflow_steps/${lastStep}`,
      200,
    );
    await check('get', '/handlers', '/handlers', 200);
    await check('get', '/handlers/{namespace}', '/handlers/shop', 200);
    await check('get', '/handlers/{namespace}/{name}', '/handlers/shop/process_order', 200);
    const other = await check('post', '/tasks', '/tasks', 201, {
      task: { name: 'process_order', namespace: 'shop', context: { order_id: 2 } },
    });
    await check('delete', '/tasks/{id}', `/tasks/${other.task.task_id}`, 200);

    await check('post', '/tasks', '/tasks', 400, {
      task: { name: 'process_order', namespace: 'shop', context: { order_id: 'x' } },
    });
    await check('get', '/tasks/{id}', '/tasks/999999', 404);
    await check('get', '/tasks/{id}', '/tasks/abc', 400);
    await check('post', '/tasks/{id}/retry', `/tasks/${other.task.task_id}/retry`, 409);
    expect(validate('get', '/tasks/{id}', 200, { task: { task_id: 'not a number' } })).not.toEqual([]);
    const anonymous = await request(app).get('/tasker/tasks').expect(401);
    expect(validate('get', '/tasks', 401, anonymous.body)).toEqual([]);
    const denied = await request(app)
      .get('/tasker/tasks')
      .set('authorization', `Bearer ${token({ permissions: [] })}`)
      .expect(403);
    expect(validate('get', '/tasks', 403, denied.body)).toEqual([]);
  });
});
