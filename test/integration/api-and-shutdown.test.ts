import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiStepHandler, type ApiResponse } from '../../src/handlers/api-step-handler';
import type { HttpClient } from '../../src/handlers/http-client';
import type { StepContext } from '../../src/handlers/step-handler';
import { defineTask } from '../../src/registry/define-task';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER, testEngine } from '../support/engine';

/** A real HTTP service: the first call to /orders is rate limited with Retry-After: 1, then it succeeds. */
function startOrdersService() {
  const calls: number[] = [];
  const server = http.createServer((req, res) => {
    calls.push(Date.now());
    if (req.url?.startsWith('/orders/missing')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'no such order' }));
    } else if (calls.length === 1) {
      res.writeHead(429, { 'retry-after': '1' }).end('slow down');
    } else {
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ orderId: 'o-1' }));
    }
  });
  return new Promise<{ url: string; calls: number[]; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        calls,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );
}

class CreateOrder extends ApiStepHandler {
  call(ctx: StepContext, http: HttpClient): Promise<Response> {
    return http.post(ctx.task.context.missing ? '/orders/missing' : '/orders', { sku: 'A-1' });
  }
}

describe('API steps and shutdown', () => {
  let db: TestDatabase;
  let service: Awaited<ReturnType<typeof startOrdersService>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startOrdersService();
  });
  afterAll(async () => {
    await service.close();
    await db.drop();
  });

  it('an ApiStepHandler honours a 429 Retry-After, then stores the response; a 404 fails at once', async () => {
    const task = defineTask({
      name: 'order',
      stepTemplates: [
        { name: 'create_order', handlerClass: 'CreateOrder', handlerConfig: { url: service.url } },
      ],
    });
    const engine = testEngine(db, {
      tasks: [task],
      stepHandlers: { CreateOrder },
      worker: FAST_WORKER,
      backoff: FAST_BACKOFF,
    });
    try {
      const created = await engine.createTask({ name: 'order', context: {} });
      const done = await engine.runUntilSettled(created.taskId);
      expect(done.status).toBe('complete');
      expect(service.calls).toHaveLength(2);
      expect(service.calls[1] - service.calls[0]).toBeGreaterThanOrEqual(1000);
      expect(done.steps[0]).toMatchObject({ attempts: 2 });
      expect((done.steps[0].results as unknown as ApiResponse).status).toBe(201);
      expect((done.steps[0].results as unknown as ApiResponse).body).toEqual({ orderId: 'o-1' });

      const missing = await engine.createTask({ name: 'order', context: { missing: true } });
      const failed = await engine.runUntilSettled(missing.taskId);
      expect(failed.status).toBe('error');
      expect(failed.steps[0]).toMatchObject({
        attempts: 1,
        retryable: false,
        results: { _error: { error_code: 'HTTP_404', retryable: false } },
      });
    } finally {
      await engine.close();
    }
  });

  it('close() stops claiming new steps but lets a running step finish', async () => {
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const slow = defineTask({
      name: 'slow_then_more',
      stepTemplates: [
        { name: 'slow', handlerClass: 'Slow' },
        { name: 'next', handlerClass: 'Quick', dependsOnStep: 'slow' },
      ],
    });
    const engine = testEngine(db, {
      tasks: [slow],
      stepHandlers: {
        Slow: async () => {
          started();
          await new Promise((resolve) => setTimeout(resolve, 400));
          return { finished: true };
        },
        Quick: () => ({}),
      },
      worker: FAST_WORKER,
    });
    const created = await engine.createTask({ name: 'slow_then_more', context: {} });
    await handlerStarted;
    await engine.close();
    const { rows } = await db.pool.query<{ name: string; state: string; results: unknown }>(
      `SELECT ns.name, COALESCE(cur.to_state, 'pending') AS state, ws.results
         FROM tasker_workflow_steps ws
         JOIN tasker_named_steps ns USING (named_step_id)
         LEFT JOIN tasker_workflow_step_transitions cur ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
        WHERE ws.task_id = $1 ORDER BY ws.workflow_step_id`,
      [created.taskId],
    );
    expect(rows).toEqual([
      { name: 'slow', state: 'complete', results: { finished: true } },
      { name: 'next', state: 'pending', results: null },
    ]);
    await expect(engine.createTask({ name: 'slow_then_more', context: {} })).rejects.toThrow(/closed/);
  });
});
