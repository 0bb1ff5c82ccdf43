import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import { ContextValidationError } from '../../src/errors';
import type { Task, WorkflowStep } from '../../src/interfaces';
import type { JsonObject } from '../../src/registry/types';
import {
  PipelineSystems,
  customerAnalyticsDefinition,
  customerAnalyticsRequest,
  dataPipelineHandlers,
  sampleAnalyticsContext,
  type StepRun,
} from '../../examples/data_pipeline';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER, testEngine } from '../support/engine';

const STEPS = [
  'extract_orders',
  'extract_users',
  'extract_products',
  'transform_customer_metrics',
  'transform_product_metrics',
  'generate_insights',
  'update_dashboard',
  'send_notifications',
];

describe('example data_pipeline.customer_analytics (blog post 02)', () => {
  let db: TestDatabase;
  let engine: TaskerEngine;
  let systems: PipelineSystems;
  const current: { systems: PipelineSystems } = { systems: new PipelineSystems() };

  beforeAll(async () => {
    db = await createTestDatabase();
    // The handlers call whatever `current.systems` is when they run: each test gets fresh systems.
    const delegating = new Proxy(new PipelineSystems(), {
      get: (_target, key: keyof PipelineSystems) => current.systems[key],
    });
    engine = testEngine(db, {
      tasks: [customerAnalyticsDefinition()],
      stepHandlers: dataPipelineHandlers(delegating),
      worker: FAST_WORKER,
      backoff: FAST_BACKOFF,
    });
    await engine.ready();
  });
  afterAll(async () => {
    await engine.close();
    await db.drop();
  });
  beforeEach(() => {
    systems = new PipelineSystems();
    current.systems = systems;
  });

  async function analyse(context: JsonObject = sampleAnalyticsContext()): Promise<Task> {
    const task = await engine.createTask(customerAnalyticsRequest(context));
    return engine.runUntilSettled(task.taskId, { timeoutMs: 20_000 });
  }

  function step(task: Task, name: string): WorkflowStep {
    const found = task.steps.find((s) => s.name === name);
    if (!found) throw new Error(`no step ${name}`);
    return found;
  }

  function runsOf(task: Task, name: string): StepRun[] {
    return systems.runs.filter((run) => run.taskId === task.taskId && run.step === name);
  }

  /** How many times each step's handler ran for this task, by step name. */
  function runCounts(task: Task): Record<string, number> {
    return Object.fromEntries(STEPS.map((name) => [name, runsOf(task, name).length]));
  }

  function counts(values: number[]): Record<string, number> {
    return Object.fromEntries(STEPS.map((name, i) => [name, values[i]]));
  }

  function statesOf(task: Task): Record<string, string> {
    return Object.fromEntries(task.steps.map((s) => [s.name, s.status]));
  }

  function completed(task: Task): string[] {
    return task.steps.filter((s) => s.status === 'complete').map((s) => s.name);
  }

  it('P2-1: runs the three extracts in parallel, each transform after both its parents, all 8 steps once', async () => {
    const task = await analyse();
    expect(task.status).toBe('complete');
    expect(task.steps.map((s) => [s.name, s.status, s.attempts])).toEqual(
      STEPS.map((s) => [s, 'complete', 1]),
    );
    expect(runCounts(task)).toEqual(counts([1, 1, 1, 1, 1, 1, 1, 1]));
    const [orders, users, products] = ['extract_orders', 'extract_users', 'extract_products'].map(
      (name) => runsOf(task, name)[0],
    );
    const extracts = [orders, users, products];
    expect(Math.max(...extracts.map((run) => run.start)), 'all extracts start before any ends').toBeLessThan(
      Math.min(...extracts.map((run) => run.end)),
    );
    const [customers] = runsOf(task, 'transform_customer_metrics');
    const [productMetrics] = runsOf(task, 'transform_product_metrics');
    expect(customers.start).toBeGreaterThanOrEqual(Math.max(orders.end, users.end));
    expect(productMetrics.start).toBeGreaterThanOrEqual(Math.max(orders.end, products.end));
    expect(step(task, 'extract_orders').results).toMatchObject({ extraction_metadata: { total_records: 6 } });
    expect(step(task, 'generate_insights').results).toMatchObject({
      insights: {
        total_revenue: 454.92,
        top_customer: 'Barbara Liskov',
        top_product: 'Console X',
        revenue_by_segment: { premium: 359.96, standard: 94.96 },
      },
    });
    expect(systems.dashboards).toHaveLength(1);
    expect(systems.messages.map((m) => m.channel)).toEqual(['#data-team']);
  });

  it('P2-2: a warehouse timeout is retried while the other extracts complete once, then the task completes', async () => {
    systems.warehouse.faults.inject({ kind: 'timeout' }, 2);
    const task = await analyse();
    expect(task.status).toBe('complete');
    expect(step(task, 'extract_orders').attempts).toBe(3);
    expect(runCounts(task)).toEqual(counts([3, 1, 1, 1, 1, 1, 1, 1]));
  });

  it('P2-2: when the warehouse stays down the transforms never start; a retry resumes without re-running completed extracts', async () => {
    systems.warehouse.faults.inject({ kind: 'timeout' }, Infinity);
    const failed = await analyse();
    expect(failed.status).toBe('error');
    expect(statesOf(failed)).toEqual({
      extract_orders: 'error',
      extract_users: 'complete',
      extract_products: 'complete',
      transform_customer_metrics: 'pending',
      transform_product_metrics: 'pending',
      generate_insights: 'pending',
      update_dashboard: 'pending',
      send_notifications: 'pending',
    });
    expect(step(failed, 'extract_orders')).toMatchObject({
      attempts: 3,
      results: { _error: { message: 'warehouse: Database connection timeout', retryable: true } },
    });
    expect(runCounts(failed)).toEqual(counts([3, 1, 1, 0, 0, 0, 0, 0]));

    systems.warehouse.faults.clear();
    await engine.retryTask(failed.taskId);
    const recovered = await engine.runUntilSettled(failed.taskId, { timeoutMs: 20_000 });
    expect(recovered.status).toBe('complete');
    expect(runCounts(recovered)).toEqual(counts([4, 1, 1, 1, 1, 1, 1, 1]));
    for (const name of ['extract_users', 'extract_products']) expect(step(recovered, name).attempts).toBe(1);
  });

  it('P2-3: an out-of-memory transform fails after its 2 attempts; the other transform completes, insights wait', async () => {
    systems.cluster.faults.inject({ kind: 'out_of_memory' }, Infinity);
    const task = await analyse();
    expect(task.status).toBe('error');
    expect(statesOf(task)).toMatchObject({
      extract_orders: 'complete',
      extract_users: 'complete',
      extract_products: 'complete',
      transform_customer_metrics: 'error',
      transform_product_metrics: 'error',
      generate_insights: 'pending',
    });
    expect(step(task, 'transform_customer_metrics')).toMatchObject({
      attempts: 2,
      results: { _error: { message: 'cluster: Out of memory during transformation' } },
    });
  });

  it('P2-3: when only the customer transform runs out of memory, the product transform still completes', async () => {
    systems.cluster.faults.inject({ kind: 'out_of_memory' }, 1);
    const task = await analyse();
    expect(task.status).toBe('complete');
    const retried = ['transform_customer_metrics', 'transform_product_metrics'].filter(
      (name) => step(task, name).attempts === 2,
    );
    expect(retried).toHaveLength(1);
    expect(runCounts(task)).toMatchObject({
      extract_orders: 1,
      extract_users: 1,
      extract_products: 1,
      generate_insights: 1,
    });
  });

  it('P2-4: a dashboard authentication failure is permanent: exactly 6 steps complete, notifications never run', async () => {
    systems.dashboard.faults.inject({ kind: 'auth' });
    const task = await analyse();
    expect(task.status).toBe('error');
    expect(completed(task)).toEqual(STEPS.slice(0, 6));
    expect(step(task, 'update_dashboard')).toMatchObject({
      status: 'error',
      attempts: 1,
      retryable: false,
      results: { _error: { error_code: 'AUTHENTICATION_FAILED' } },
    });
    expect(step(task, 'send_notifications')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(systems.messages).toHaveLength(0);

    await engine.retryTask(task.taskId);
    const recovered = await engine.runUntilSettled(task.taskId, { timeoutMs: 20_000 });
    expect(recovered.status).toBe('complete');
    expect(runCounts(recovered)).toEqual(counts([1, 1, 1, 1, 1, 1, 2, 1]));
  });

  it('P2-5: a chat service that keeps rate-limiting exhausts 5 attempts: 7 steps complete, notifications in error', async () => {
    systems.chat.faults.inject({ kind: 'rate_limited', retryAfterSeconds: 0.1 }, Infinity);
    const task = await analyse();
    expect(task.status).toBe('error');
    expect(completed(task)).toEqual(STEPS.slice(0, 7));
    expect(step(task, 'send_notifications')).toMatchObject({
      status: 'error',
      attempts: 5,
      results: { _error: { message: 'chat: rate limit exceeded' } },
    });
    const calls = systems.chat.calls();
    expect(calls).toHaveLength(5);
    for (let i = 1; i < calls.length; i += 1) {
      expect(calls[i].start - calls[i - 1].end, 'waits the requested 0.1 s').toBeGreaterThanOrEqual(100);
    }
  });

  it('P2-5: an invalid notification channel fails at once: 7 steps complete', async () => {
    const task = await analyse({ ...sampleAnalyticsContext(), notification_channels: ['data team'] });
    expect(task.status).toBe('error');
    expect(completed(task)).toEqual(STEPS.slice(0, 7));
    expect(step(task, 'send_notifications')).toMatchObject({
      attempts: 1,
      results: { _error: { error_code: 'INVALID_CHANNEL' } },
    });
  });

  it('P2-6: a context without date_range is rejected, naming date_range', async () => {
    const error = await engine
      .createTask(customerAnalyticsRequest({ force_refresh: true }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextValidationError);
    expect((error as ContextValidationError).details).toEqual([
      { path: '/date_range', message: 'is required' },
    ]);
  });

  it('rejects a start date after the end date permanently, before touching the warehouse', async () => {
    const task = await analyse({ date_range: { start_date: '2024-02-01', end_date: '2024-01-01' } });
    expect(task.status).toBe('error');
    expect(step(task, 'extract_orders')).toMatchObject({
      attempts: 1,
      results: { _error: { error_code: 'INVALID_DATE_RANGE' } },
    });
    expect(systems.warehouse.calls()).toHaveLength(0);
  });

  it('P2-7: high_memory mode with strict thresholds the data meets is accepted and completes', async () => {
    const task = await analyse({
      ...sampleAnalyticsContext(),
      processing_mode: 'high_memory',
      quality_thresholds: { min_customer_records: 5, min_order_records: 6, max_null_percentage: 0.01 },
    });
    expect(task.status).toBe('complete');
    expect(step(task, 'transform_customer_metrics').results).toMatchObject({
      processing_mode: 'high_memory',
    });
  });

  it('fails a transform permanently when the data is below the quality thresholds', async () => {
    const task = await analyse({
      ...sampleAnalyticsContext(),
      quality_thresholds: { min_customer_records: 100 },
    });
    expect(task.status).toBe('error');
    expect(step(task, 'transform_customer_metrics')).toMatchObject({
      status: 'error',
      attempts: 1,
      results: { _error: { error_code: 'INSUFFICIENT_DATA' } },
    });
    expect(step(task, 'transform_product_metrics').status).toBe('complete');
  });
});
