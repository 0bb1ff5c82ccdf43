import type express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/permissions';
import { defineTask } from '../../src/registry/define-task';
import type { StepTemplateInput } from '../../src/registry/types';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { authenticated, hostApp, token } from '../support/http-app';

const simpleSteps: StepTemplateInput[] = [{ name: 'only', handlerClass: 'Ok' }];

/** `finalize` is declared first and reaches `check_stock` only through `dependsOnSteps`. */
const checkoutSteps: StepTemplateInput[] = [
  { name: 'finalize', handlerClass: 'Ok', dependsOnStep: 'price', dependsOnSteps: ['check_stock'] },
  {
    name: 'load_cart',
    handlerClass: 'CartLoader',
    description: 'Reads the cart',
    dependentSystem: 'carts',
    handlerConfig: { endpoint: 'https://carts.example/api', timeout: 5 },
    defaultRetryable: false,
    defaultRetryLimit: 5,
    skippable: true,
    timeoutSeconds: 30,
    customEvents: [{ name: 'cart.loaded', description: 'The cart was read' }],
  },
  { name: 'price', handlerClass: 'Ok', dependsOnStep: 'load_cart' },
  { name: 'check_stock', handlerClass: 'Ok', dependsOnSteps: ['load_cart'] },
];

const tasks = [
  ...['1.9.0', '1.10.0', '1.2.0'].map((version) =>
    defineTask({
      name: 'checkout',
      namespaceName: 'shop',
      version,
      description: `Checkout ${version}`,
      stepTemplates: version === '1.10.0' ? checkoutSteps : simpleSteps,
    }),
  ),
  defineTask({ name: 'refund', namespaceName: 'shop', version: '0.1.0', stepTemplates: simpleSteps }),
  defineTask({ name: 'invoice', namespaceName: 'billing.eu', version: '2.0.0', stepTemplates: simpleSteps }),
];
const stepHandlers = { Ok: () => ({}), CartLoader: () => ({ items: [] }) };

describe('REST /handlers', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks, stepHandlers }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  describe('GET /handlers', () => {
    it('lists the namespaces with how many distinct tasks each holds', async () => {
      const res = await request(app).get('/tasker/handlers').expect(200);
      expect(res.body).toEqual({
        namespaces: [
          { name: 'billing.eu', handler_count: 1 },
          { name: 'shop', handler_count: 2 },
        ],
        total_namespaces: 2,
        generated_at: expect.any(String),
      });
      expect(Date.parse(res.body.generated_at)).not.toBeNaN();
    });

    it('sees a definition registered after start', async () => {
      const { app: lateApp, router: lateRouter } = hostApp(db, { stepHandlers });
      try {
        const before = await request(lateApp).get('/tasker/handlers').expect(200);
        expect(before.body).toMatchObject({ namespaces: [], total_namespaces: 0 });
        lateRouter.engine.register(tasks[3]);
        const res = await request(lateApp).get('/tasker/handlers').expect(200);
        expect(res.body.namespaces).toEqual([{ name: 'shop', handler_count: 1 }]);
      } finally {
        await lateRouter.close();
      }
    });
  });

  describe('GET /handlers/:namespace', () => {
    it("lists a namespace's tasks with their versions in semver order", async () => {
      const res = await request(app).get('/tasker/handlers/shop').expect(200);
      expect(res.body).toEqual({
        namespace: 'shop',
        handlers: [
          {
            name: 'checkout',
            namespace: 'shop',
            versions: ['1.2.0', '1.9.0', '1.10.0'],
            latest_version: '1.10.0',
            handler_count: 3,
          },
          {
            name: 'refund',
            namespace: 'shop',
            versions: ['0.1.0'],
            latest_version: '0.1.0',
            handler_count: 1,
          },
        ],
        total_handlers: 2,
      });
    });

    it('finds a namespace whose name has a dot in it', async () => {
      const res = await request(app).get('/tasker/handlers/billing.eu').expect(200);
      expect(res.body.handlers.map((h: { name: string }) => h.name)).toEqual(['invoice']);
    });

    it('answers 404 for an unknown namespace', async () => {
      const res = await request(app).get('/tasker/handlers/warehouse').expect(404);
      expect(res.body).toEqual({ error: 'not_found', message: 'Namespace not found' });
      await request(app).get('/tasker/handlers/SHOP').expect(404);
    });
  });

  describe('GET /handlers/:namespace/:name', () => {
    it('describes the latest version by default, with its steps and dependency graph', async () => {
      const res = await request(app).get('/tasker/handlers/shop/checkout').expect(200);
      const { handler } = res.body;
      expect(handler).toMatchObject({
        name: 'checkout',
        namespace: 'shop',
        version: '1.10.0',
        full_name: 'shop.checkout@1.10.0',
        description: 'Checkout 1.10.0',
      });
      expect(handler.step_templates.map((t: { name: string }) => t.name)).toEqual([
        'finalize',
        'load_cart',
        'price',
        'check_stock',
      ]);
      expect(handler.step_templates[1]).toEqual({
        name: 'load_cart',
        description: 'Reads the cart',
        dependent_system: 'carts',
        depends_on_steps: [],
        handler_class: 'CartLoader',
        configuration: { endpoint: 'https://carts.example/api', timeout: 5 },
        default_retryable: false,
        default_retry_limit: 5,
        skippable: true,
        timeout_seconds: 30,
        custom_events: [{ name: 'cart.loaded', description: 'The cart was read' }],
      });
      expect(handler.step_templates[0]).toMatchObject({
        depends_on_steps: ['price', 'check_stock'],
        default_retryable: true,
        default_retry_limit: 3,
        skippable: false,
        timeout_seconds: null,
        configuration: null,
      });
      expect(Date.parse(res.body.generated_at)).not.toBeNaN();
    });

    it('builds the dependency graph, execution order and critical path from every dependency', async () => {
      const res = await request(app).get('/tasker/handlers/shop/checkout').expect(200);
      expect(res.body.handler.dependency_graph).toEqual({
        nodes: [
          { id: 'finalize', name: 'finalize', handler_class: 'Ok' },
          { id: 'load_cart', name: 'load_cart', handler_class: 'CartLoader' },
          { id: 'price', name: 'price', handler_class: 'Ok' },
          { id: 'check_stock', name: 'check_stock', handler_class: 'Ok' },
        ],
        edges: [
          { from: 'price', to: 'finalize', type: 'dependency' },
          { from: 'check_stock', to: 'finalize', type: 'dependency' },
          { from: 'load_cart', to: 'price', type: 'dependency' },
          { from: 'load_cart', to: 'check_stock', type: 'dependency' },
        ],
        execution_order: ['load_cart', 'price', 'check_stock', 'finalize'],
        critical_path: ['load_cart', 'price', 'finalize'],
        levels: { load_cart: 0, price: 1, check_stock: 1, finalize: 2 },
      });
    });

    it('describes the version asked for, and `latest` like the default', async () => {
      const older = await request(app).get('/tasker/handlers/shop/checkout?version=1.9.0').expect(200);
      expect(older.body.handler).toMatchObject({ version: '1.9.0', full_name: 'shop.checkout@1.9.0' });
      expect(older.body.handler.dependency_graph.execution_order).toEqual(['only']);
      const latest = await request(app).get('/tasker/handlers/shop/checkout?version=latest').expect(200);
      expect(latest.body.handler.version).toBe('1.10.0');
    });

    it('answers 404 for an unknown namespace, task or version', async () => {
      const namespace = await request(app).get('/tasker/handlers/warehouse/checkout').expect(404);
      expect(namespace.body).toEqual({ error: 'not_found', message: 'Namespace not found' });
      const task = await request(app).get('/tasker/handlers/shop/invoice').expect(404);
      expect(task.body).toEqual({ error: 'not_found', message: 'Handler not found in namespace' });
      const version = await request(app).get('/tasker/handlers/shop/checkout?version=2.0.0').expect(404);
      expect(version.body).toEqual({
        error: 'not_found',
        message: 'No task definition shop.checkout@2.0.0 (available versions: 1.2.0, 1.9.0, 1.10.0)',
      });
    });

    it('refuses a version that is not semver or given twice (400)', async () => {
      const res = await request(app).get('/tasker/handlers/shop/checkout?version=newest').expect(400);
      expect(res.body).toMatchObject({
        error: 'bad_request',
        details: [{ path: '/version', message: "must be 'latest' or a semantic version" }],
      });
      await request(app).get('/tasker/handlers/shop/checkout?version=v1.9.0').expect(400);
      await request(app).get('/tasker/handlers/shop/checkout?version=1.9.0&version=1.2.0').expect(400);
    });
  });
});

describe('REST /handlers with authentication', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks, stepHandlers, auth: authenticated }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it.each([
    { path: '/tasker/handlers', permission: 'tasker.handler:index' },
    { path: '/tasker/handlers/shop', permission: 'tasker.handler:index' },
    { path: '/tasker/handlers/shop/checkout', permission: 'tasker.handler:show' },
  ])('GET $path needs $permission', async ({ path, permission }) => {
    const anonymous = await request(app).get(path).expect(401);
    expect(anonymous.body).toEqual({ error: 'Unauthorized', message: 'Missing bearer token' });

    const everythingElse = PERMISSIONS.map((p) => p.permission).filter((p) => p !== permission);
    const denied = await request(app)
      .get(path)
      .set('authorization', `Bearer ${token({ permissions: everythingElse })}`)
      .expect(403);
    expect(denied.body.error).toBe('Forbidden');

    await request(app)
      .get(path)
      .set('authorization', `Bearer ${token({ admin: true })}`)
      .expect(200);
    await request(app)
      .get(path)
      .set('authorization', `Bearer ${token({ permissions: [permission] })}`)
      .expect(200);
  });

  it('refuses a forged token (401)', async () => {
    const forged = token({ admin: true }, 'another-secret-that-is-at-least-32-bytes-long');
    await request(app).get('/tasker/handlers').set('authorization', `Bearer ${forged}`).expect(401);
  });
});
