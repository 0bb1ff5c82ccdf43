import type express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/permissions';
import { defineTask } from '../../src/registry/define-task';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  authenticated,
  expiredToken,
  hostApp,
  openApiPath,
  registeredRoutes,
  signedToken,
  token,
  unsignedToken,
} from '../support/http-app';

const orderTask = defineTask({
  name: 'process_order',
  namespaceName: 'shop',
  version: '1.0.0',
  stepTemplates: [{ name: 'validate', handlerClass: 'Ok' }],
});
const stepHandlers = { Ok: () => ({ ok: true }) };

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

interface ProtectedRoute {
  method: Method;
  /** The route as registered, to prove the table covers every one. */
  route: string;
  url: string;
  permission: string;
  body?: object;
}

const MISSING = 999_999;

/** Every protected REST route; ids that do not exist are fine: authorization comes first. */
const ROUTES: ProtectedRoute[] = [
  { method: 'get', route: '/tasks', url: '/tasks', permission: 'tasker.task:index' },
  {
    method: 'post',
    route: '/tasks',
    url: '/tasks',
    permission: 'tasker.task:create',
    body: { task: { name: 'process_order', namespace: 'shop', context: {} } },
  },
  { method: 'get', route: '/tasks/:id', url: `/tasks/${MISSING}`, permission: 'tasker.task:show' },
  {
    method: 'patch',
    route: '/tasks/:id',
    url: `/tasks/${MISSING}`,
    permission: 'tasker.task:update',
    body: { task: { reason: 'r' } },
  },
  {
    method: 'put',
    route: '/tasks/:id',
    url: `/tasks/${MISSING}`,
    permission: 'tasker.task:update',
    body: { task: { reason: 'r' } },
  },
  { method: 'delete', route: '/tasks/:id', url: `/tasks/${MISSING}`, permission: 'tasker.task:cancel' },
  {
    method: 'post',
    route: '/tasks/:id/retry',
    url: `/tasks/${MISSING}/retry`,
    permission: 'tasker.task:retry',
  },
  {
    method: 'get',
    route: '/tasks/:id/diagram',
    url: `/tasks/${MISSING}/diagram`,
    permission: 'tasker.task:show',
  },
  {
    method: 'get',
    route: '/tasks/:task_id/workflow_steps',
    url: `/tasks/${MISSING}/workflow_steps`,
    permission: 'tasker.workflow_step:index',
  },
  {
    method: 'get',
    route: '/tasks/:task_id/workflow_steps/:id',
    url: `/tasks/${MISSING}/workflow_steps/1`,
    permission: 'tasker.workflow_step:show',
  },
  {
    method: 'patch',
    route: '/tasks/:task_id/workflow_steps/:id',
    url: `/tasks/${MISSING}/workflow_steps/1`,
    permission: 'tasker.workflow_step:update',
    body: { workflow_step: { retry_limit: 2 } },
  },
  {
    method: 'put',
    route: '/tasks/:task_id/workflow_steps/:id',
    url: `/tasks/${MISSING}/workflow_steps/1`,
    permission: 'tasker.workflow_step:update',
    body: { workflow_step: { retry_limit: 2 } },
  },
  {
    method: 'delete',
    route: '/tasks/:task_id/workflow_steps/:id',
    url: `/tasks/${MISSING}/workflow_steps/1`,
    permission: 'tasker.workflow_step:cancel',
  },
  {
    method: 'post',
    route: '/tasks/:task_id/workflow_steps/:id/resolve',
    url: `/tasks/${MISSING}/workflow_steps/1/resolve`,
    permission: 'tasker.workflow_step:resolve',
    body: { results: { ok: true } },
  },
  { method: 'get', route: '/handlers', url: '/handlers', permission: 'tasker.handler:index' },
  { method: 'get', route: '/handlers/:namespace', url: '/handlers/shop', permission: 'tasker.handler:index' },
  {
    method: 'get',
    route: '/handlers/:namespace/:name',
    url: '/handlers/shop/process_order',
    permission: 'tasker.handler:show',
  },
  { method: 'get', route: '/health/status', url: '/health/status', permission: 'tasker.health_status:index' },
  { method: 'get', route: '/metrics', url: '/metrics', permission: 'tasker.metrics:index' },
  {
    method: 'get',
    route: '/analytics/performance',
    url: '/analytics/performance',
    permission: 'tasker.analytics:index',
  },
  {
    method: 'get',
    route: '/analytics/bottlenecks',
    url: '/analytics/bottlenecks',
    permission: 'tasker.analytics:index',
  },
];

const PUBLIC_ROUTES = ['GET /health/live', 'GET /health/ready', 'GET /openapi.json'];

/** Tokens that must never authenticate, even though each claims to be an admin. */
const BAD_TOKENS: [string, () => string | undefined][] = [
  ['no token', () => undefined],
  ['an expired token', () => expiredToken({ admin: true })],
  [
    'a token with a wrong signature',
    () => token({ admin: true }, 'another-secret-that-is-also-32-bytes-long!!'),
  ],
  ['an unsigned (alg: none) token', () => unsignedToken({ admin: true })],
  ['a token for another audience', () => signedToken({ admin: true }, { audience: 'someone-else' })],
  ['a token from another issuer', () => signedToken({ admin: true }, { issuer: 'evil-issuer' })],
];

function send(app: express.Express, route: ProtectedRoute, bearer: string | undefined) {
  let pending = request(app)[route.method](`/tasker${route.url}`);
  if (bearer !== undefined) pending = pending.set('authorization', `Bearer ${bearer}`);
  return route.body ? pending.send(route.body) : pending;
}

const label = (route: ProtectedRoute) => `${route.method.toUpperCase()} ${route.route}`;

describe('REST authentication and authorization on every route', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [orderTask], stepHandlers, auth: authenticated }));
    await router.ready();
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it('covers every route the router registers', () => {
    const registered = registeredRoutes(router).map((route) => `${route.method} ${route.path}`);
    const covered = [...ROUTES.map(label), ...PUBLIC_ROUTES];
    expect(covered.sort()).toEqual([...registered].sort());
  });

  describe.each(BAD_TOKENS)('with %s', (_name, bearer) => {
    it.each(ROUTES.map((route) => [label(route), route] as const))(
      '%s answers 401',
      async (_label, route) => {
        const res = await send(app, route, bearer());
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ error: 'Unauthorized', message: expect.any(String) });
      },
    );
  });

  it.each(ROUTES.map((route) => [label(route), route] as const))(
    '%s answers 403 to a valid token holding every other permission',
    async (_label, route) => {
      const others = PERMISSIONS.map((entry) => entry.permission).filter((p) => p !== route.permission);
      const res = await send(app, route, token({ permissions: others }));
      expect(res.status).toBe(403);
      const [resource, action] = route.permission.split(':');
      expect(res.body).toEqual({ error: 'Forbidden', message: `Not authorized to ${action} on ${resource}` });
    },
  );

  it.each(ROUTES.map((route) => [label(route), route] as const))(
    '%s lets through a token with exactly its permission, and an admin',
    async (_label, route) => {
      for (const claims of [{ permissions: [route.permission] }, { admin: true }]) {
        const res = await send(app, route, token(claims));
        expect([401, 403], `${JSON.stringify(claims)} → ${res.status}`).not.toContain(res.status);
        expect(res.status).toBeLessThan(500);
      }
    },
  );

  it('keeps /health/live, /health/ready and /openapi.json open without a token', async () => {
    for (const path of ['/health/live', '/health/ready', '/openapi.json']) {
      await request(app).get(`/tasker${path}`).expect(200);
    }
  });

  it('documents the same permission for each route in the OpenAPI document', async () => {
    const document = (await request(app).get('/tasker/openapi.json').expect(200)).body;
    for (const route of ROUTES) {
      const operation = document.paths[openApiPath(route.route)][route.method];
      expect(operation['x-tasker-permission'], label(route)).toBe(route.permission);
    }
  });
});

describe('production without auth', () => {
  let db: TestDatabase;
  let previousNodeEnv: string | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  async function inProduction(work: () => Promise<void>): Promise<void> {
    previousNodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await work();
    } finally {
      if (previousNodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = previousNodeEnv;
    }
  }

  it('refuses to start: ready() rejects and requests get a JSON 5xx', async () => {
    await inProduction(async () => {
      const { app, router } = hostApp(db, { auth: undefined });
      try {
        await expect(router.ready()).rejects.toThrow(/production/);
        const res = await request(app).get('/tasker/tasks');
        expect(res.status).toBeGreaterThanOrEqual(500);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toMatchObject({ error: expect.any(String), message: expect.stringMatching(/auth/) });
        await request(app).get('/tasker/health/ready').expect(503);
        await request(app).get('/tasker/health/live').expect(200);
      } finally {
        await router.close();
      }
    });
  });

  it('starts with an explicit auth: false', async () => {
    await inProduction(async () => {
      const { app, router } = hostApp(db, { auth: false });
      try {
        await router.ready();
        await request(app).get('/tasker/tasks').expect(200);
      } finally {
        await router.close();
      }
    });
  });
});
