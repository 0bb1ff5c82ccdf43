import express, { type NextFunction, type Request, type Response } from 'express';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTask } from '../../src/registry/define-task';
import { tasker, type TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testRouter, unreachableDatabaseUrl } from '../support/http-app';

const greetTask = defineTask({
  name: 'greet',
  namespaceName: 'host',
  version: '1.0.0',
  stepTemplates: [{ name: 'hello', handlerClass: 'Ok' }],
});
const stepHandlers = { Ok: () => ({ ok: true }) };
const createGreeting = { task: { name: 'greet', namespace: 'host', context: { who: 'world' } } };

/** Host routes around a root-mounted Tasker: some before it, some after, with their own parsers. */
function hostAroundRoot(router: TaskerRouter): express.Express {
  const app = express();
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'host' });
  });
  app.use(router);
  app.post('/echo', express.json({ limit: '5mb' }), (req, res) => {
    res.status(201).json({ echoed: req.body });
  });
  app.post('/raw', express.text({ type: '*/*' }), (req, res) => {
    res.type('text/plain').send(`raw:${req.body}`);
  });
  app.get('/tasks-report', (_req, res) => {
    res.json({ report: 'host' });
  });
  app.get('/explode', () => {
    throw new Error('host failure');
  });
  app.use((req, res) => {
    res.status(404).json({ host404: req.originalUrl });
  });
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ hostError: error.message });
  });
  return app;
}

describe('mounting', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  describe('at the root of a host application', () => {
    let router: TaskerRouter;
    let app: express.Express;

    beforeAll(() => {
      router = testRouter(db, { tasks: [greetTask], stepHandlers });
      app = hostAroundRoot(router);
    });
    afterAll(async () => {
      await router.close();
    });

    it('leaves host routes, their bodies, their 404 and their error handler alone', async () => {
      await request(app).get('/hello').expect(200, { hello: 'host' });
      const big = { task: 'not a tasker body', blob: 'x'.repeat(2_000_000) };
      const echoed = await request(app).post('/echo').send(big).expect(201);
      expect(echoed.body).toEqual({ echoed: big });
      await request(app)
        .post('/raw')
        .set('content-type', 'application/json')
        .send('{"not": "parsed by tasker"')
        .expect(200, 'raw:{"not": "parsed by tasker"');
      await request(app).get('/tasks-report').expect(200, { report: 'host' });
      await request(app).get('/nowhere').expect(404, { host404: '/nowhere' });
      await request(app).get('/explode').expect(500, { hostError: 'host failure' });
    });

    it('serves its own routes beside them', async () => {
      const created = await request(app).post('/tasks').send(createGreeting).expect(201);
      expect(created.body.task.full_name).toBe('host.greet@1.0.0');
      await request(app).get(`/tasks/${created.body.task.task_id}`).expect(200);
      await request(app).get('/handlers/host').expect(200);
      await request(app).get('/health/live').expect(200);
      await request(app).get('/openapi.json').expect(200);
      const missing = await request(app).get('/tasks/1/nothing-here').expect(404);
      expect(missing.body).toMatchObject({ error: 'not_found' });
    });
  });

  it('does not hold host requests back while Tasker cannot start', async () => {
    const router = tasker({
      logger: pino({ level: 'silent' }),
      worker: false,
      auth: false,
      databaseUrl: await unreachableDatabaseUrl(),
    });
    const app = hostAroundRoot(router);
    try {
      await request(app).get('/hello').expect(200, { hello: 'host' });
      await request(app)
        .post('/echo')
        .send({ a: 1 })
        .expect(201, { echoed: { a: 1 } });
      await request(app).get('/nowhere').expect(404, { host404: '/nowhere' });
      const tasks = await request(app).get('/tasks');
      // The database refuses connections: a 503 the client may retry, not a bare 500.
      expect(tasks.status).toBe(503);
      expect(tasks.headers['retry-after']).toBe('5');
      expect(tasks.body).toEqual({
        error: 'database_unavailable',
        message: 'The database is unavailable; retry shortly',
      });
    } finally {
      await router.close().catch(() => undefined);
    }
  });

  it('works under two different mount paths at once', async () => {
    const router = testRouter(db, { tasks: [greetTask], stepHandlers });
    const app = express().use('/one', router).use('/two/nested', router);
    try {
      const created = await request(app).post('/one/tasks').send(createGreeting).expect(201);
      const id = created.body.task.task_id;
      const viaOne = await request(app).get(`/one/tasks/${id}`).expect(200);
      const viaTwo = await request(app).get(`/two/nested/tasks/${id}`).expect(200);
      expect(viaTwo.body).toEqual(viaOne.body);
      await request(app).get('/two/nested/health/live').expect(200);
      const missing = await request(app).get('/two/nested/tasks/1/nope').expect(404);
      expect(missing.body.message).toContain('/two/nested/tasks/1/nope');
    } finally {
      await router.close();
    }
  });

  it('works behind a host-wide JSON parser', async () => {
    const router = testRouter(db, { tasks: [greetTask], stepHandlers });
    const app = express().use(express.json()).use('/tasker', router);
    try {
      await request(app).post('/tasker/tasks').send(createGreeting).expect(201);
      const invalid = await request(app).post('/tasker/tasks').send({ nope: true }).expect(400);
      expect(invalid.body.error).toBe('bad_request');
    } finally {
      await router.close();
    }
  });
});
