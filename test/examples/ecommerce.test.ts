import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import { ContextValidationError } from '../../src/errors';
import type { JsonObject } from '../../src/registry/types';
import type { Task, WorkflowStep } from '../../src/interfaces';
import {
  EcommerceServices,
  ecommerceHandlers,
  processOrderDefinition,
  processOrderRequest,
  sampleOrderContext,
} from '../../examples/ecommerce';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER, testEngine } from '../support/engine';

const STEPS = ['validate_cart', 'process_payment', 'update_inventory', 'create_order', 'send_confirmation'];

describe('example ecommerce.process_order (blog post 01)', () => {
  let db: TestDatabase;
  let engine: TaskerEngine;
  let services: EcommerceServices;
  /** The engine's handlers call whatever `services` is when they run: each test gets fresh systems. */
  const current: { services: EcommerceServices } = { services: new EcommerceServices() };

  beforeAll(async () => {
    db = await createTestDatabase();
    const delegating = new Proxy(new EcommerceServices(), {
      get: (_target, key: keyof EcommerceServices) => current.services[key],
    });
    engine = testEngine(db, {
      tasks: [processOrderDefinition()],
      stepHandlers: ecommerceHandlers(delegating),
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
    services = new EcommerceServices();
    current.services = services;
  });

  async function checkout(context: JsonObject = sampleOrderContext()): Promise<Task> {
    const task = await engine.createTask(processOrderRequest(context));
    return engine.runUntilSettled(task.taskId, { timeoutMs: 20_000 });
  }

  function step(task: Task, name: string): WorkflowStep {
    const found = task.steps.find((s) => s.name === name);
    if (!found) throw new Error(`no step ${name}`);
    return found;
  }

  function states(task: Task): [string, string, number][] {
    return task.steps.map((s) => [s.name, s.status, s.attempts]);
  }

  async function stepTransitions(stepId: number): Promise<string[]> {
    const { rows } = await db.pool.query<{ from_state: string | null; to_state: string }>(
      'SELECT from_state, to_state FROM tasker_workflow_step_transitions WHERE workflow_step_id = $1 ORDER BY sort_key',
      [stepId],
    );
    return rows.map((r) => `${r.from_state}→${r.to_state}`);
  }

  it('P1-1: completes the sample checkout with the reference totals, calling each service once', async () => {
    const task = await checkout();
    expect(task.status).toBe('complete');
    expect(states(task)).toEqual(STEPS.map((name) => [name, 'complete', 1]));
    expect(step(task, 'validate_cart').results).toMatchObject({
      subtotal: 109.97,
      tax: 8.8,
      shipping: 5.99,
      total: 124.76,
      item_count: 3,
      validated_items: [
        { product_id: 1, name: 'Widget A', price: 29.99, quantity: 2, line_total: 59.98 },
        { product_id: 2, name: 'Widget B', price: 49.99, quantity: 1, line_total: 49.99 },
      ],
    });
    expect(services.payments.calls).toEqual([
      expect.objectContaining({ amount: 124.76, method: 'credit_card', currency: 'USD' }),
    ]);
    expect(step(task, 'process_payment').results).toMatchObject({
      amount_charged: 124.76,
      status: 'completed',
    });
    expect(services.inventory.availabilityChecks).toEqual([1, 2]);
    expect(services.inventory.reservationCalls).toEqual([
      { orderId: `order_${task.taskId}`, productId: 1, quantity: 2 },
      { orderId: `order_${task.taskId}`, productId: 2, quantity: 1 },
    ]);
    expect(services.inventory.product(1)?.stock).toBe(8);
    expect(services.orders.orders).toHaveLength(1);
    expect(step(task, 'create_order').results).toMatchObject({
      status: 'confirmed',
      total_amount: 124.76,
      customer_email: 'customer@example.com',
      order_number: expect.stringMatching(/^ORD-\d{8}-[0-9A-F]{8}$/),
      estimated_delivery: expect.stringMatching(/^[A-Z][a-z]+ \d{2}, \d{4}$/),
    });
    expect(services.email.sent.map((m) => [m.to, m.totalAmount])).toEqual([['customer@example.com', 124.76]]);
    expect(step(task, 'send_confirmation').results).toMatchObject({
      email_sent: true,
      email_type: 'order_confirmation',
    });
  });

  it.each([
    ['P1-2: a premium customer', { tier: 'premium' }, {}, { premium_processing: { priority: 'high' } }],
    ['P1-3: express priority', {}, { priority: 'express' }, { express_processing: { payment_retries: 1 } }],
  ])('%s completes with its processing options', async (_label, customer, extra, processing) => {
    const context = sampleOrderContext();
    Object.assign(context.customer_info as JsonObject, customer);
    const task = await checkout({ ...context, ...extra });
    expect(task.status).toBe('complete');
    expect(step(task, 'create_order').results).toMatchObject({ processing });
  });

  it('P1-4: a payment gateway timeout fails the attempt, the step is retried after backoff and the task completes', async () => {
    services.payments.faults.inject('timeout');
    const task = await checkout();
    expect(task.status).toBe('complete');
    const payment = step(task, 'process_payment');
    expect(payment).toMatchObject({ status: 'complete', attempts: 2, retryLimit: 3, retryable: true });
    expect(await stepTransitions(payment.workflowStepId)).toEqual([
      'pending→in_progress',
      'in_progress→error',
      'error→pending',
      'pending→in_progress',
      'in_progress→complete',
    ]);
    expect(services.payments.calls).toHaveLength(2);
    expect(states(task).filter(([name]) => name !== 'process_payment')).toEqual(
      STEPS.filter((name) => name !== 'process_payment').map((name) => [name, 'complete', 1]),
    );
  });

  it('P1-4: gateway network errors are retried up to the limit of 3 attempts, then the task fails', async () => {
    services.payments.faults.inject('NETWORK_ERROR', Infinity);
    const task = await checkout();
    expect(task.status).toBe('error');
    expect(states(task)).toEqual([
      ['validate_cart', 'complete', 1],
      ['process_payment', 'error', 3],
      ['update_inventory', 'pending', 0],
      ['create_order', 'pending', 0],
      ['send_confirmation', 'pending', 0],
    ]);
    expect(services.payments.calls).toHaveLength(3);
  });

  it.each(['card_declined', 'insufficient_funds'] as const)(
    'P1-5: %s is permanent: one attempt, task error, no inventory reserved',
    async (status) => {
      services.payments.faults.inject(status);
      const task = await checkout();
      expect(task.status).toBe('error');
      expect(states(task)).toEqual([
        ['validate_cart', 'complete', 1],
        ['process_payment', 'error', 1],
        ['update_inventory', 'pending', 0],
        ['create_order', 'pending', 0],
        ['send_confirmation', 'pending', 0],
      ]);
      expect(step(task, 'process_payment')).toMatchObject({
        retryable: false,
        results: { _error: { error_code: 'PAYMENT_DECLINED', message: `Payment declined: ${status}` } },
      });
      expect(services.payments.calls).toHaveLength(1);
      expect(services.inventory.reservationCalls).toHaveLength(0);
      expect(services.email.attempts).toHaveLength(0);
    },
  );

  it('P1-5: an invalid payment token (gateway INVALID_REQUEST) fails at once', async () => {
    services.payments.faults.inject('INVALID_REQUEST');
    const task = await checkout();
    expect(task.status).toBe('error');
    expect(step(task, 'process_payment')).toMatchObject({
      status: 'error',
      attempts: 1,
      results: { _error: { error_code: 'INVALID_REQUEST' } },
    });
  });

  it('P1-6: insufficient stock at validation is retried 3 times, then the task fails', async () => {
    services.inventory.setStock(2, 0);
    const task = await checkout();
    expect(task.status).toBe('error');
    expect(states(task)[0]).toEqual(['validate_cart', 'error', 3]);
    expect(step(task, 'validate_cart').results).toMatchObject({
      _error: { message: 'Insufficient stock for Widget B. Available: 0, Requested: 1', retryable: true },
    });
    expect(services.payments.calls).toHaveLength(0);
  });

  it('P1-6: a failing reservation is retried up to its limit of 2, then the task fails', async () => {
    services.inventory.faults.inject('reservation_failed', Infinity);
    const task = await checkout();
    expect(task.status).toBe('error');
    expect(states(task)).toEqual([
      ['validate_cart', 'complete', 1],
      ['process_payment', 'complete', 1],
      ['update_inventory', 'error', 2],
      ['create_order', 'pending', 0],
      ['send_confirmation', 'pending', 0],
    ]);
    expect(services.payments.calls).toHaveLength(1);
  });

  it('P1-6: a busy inventory service recovers on the retry and the order is reserved once', async () => {
    services.inventory.faults.inject('busy');
    const task = await checkout();
    expect(task.status).toBe('complete');
    expect(step(task, 'update_inventory').attempts).toBe(2);
    expect(services.inventory.product(1)?.stock).toBe(8);
    expect(services.inventory.product(2)?.stock).toBe(9);
  });

  it('P1-7: a rate-limited email is retried after the delay the service asked for', async () => {
    services.email.faults.inject({ status: 'rate_limited', retryAfterSeconds: 1 });
    const task = await checkout();
    expect(task.status).toBe('complete');
    expect(step(task, 'send_confirmation')).toMatchObject({ status: 'complete', attempts: 2 });
    const [first, second] = services.email.attempts;
    expect(second.at - first.at).toBeGreaterThanOrEqual(1000);
    expect(services.email.sent).toHaveLength(1);
  });

  it('P1-7: by default a rate-limited email waits 60 s before its next attempt', async () => {
    services.email.faults.inject({ status: 'rate_limited' });
    const created = await engine.createTask(processOrderRequest());
    await until(async () => (await engine.getTask(created.taskId))?.steps[4].attempts === 1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const waiting = await engine.getTask(created.taskId);
    expect(waiting?.steps[4]).toMatchObject({ status: 'error', attempts: 1, backoffRequestSeconds: 60 });
    expect(services.email.attempts).toHaveLength(1);
    expect((await engine.cancelTask(created.taskId)).status).toBe('cancelled');
  });

  it('P1-7: an email service that stays down gets 5 attempts, then the task fails', async () => {
    services.email.faults.inject({ status: 'service_unavailable' }, Infinity);
    const task = await checkout();
    expect(task.status).toBe('error');
    expect(states(task).at(-1)).toEqual(['send_confirmation', 'error', 5]);
    expect(services.email.attempts).toHaveLength(5);
    expect(services.orders.orders).toHaveLength(1);
  });

  it('P1-8: a payment amount that differs from the cart total is a permanent PAYMENT_AMOUNT_MISMATCH', async () => {
    const context = sampleOrderContext();
    (context.payment_info as JsonObject).amount = 124.75;
    const task = await checkout(context);
    expect(task.status).toBe('error');
    expect(step(task, 'process_payment')).toMatchObject({
      status: 'error',
      attempts: 1,
      results: { _error: { error_code: 'PAYMENT_AMOUNT_MISMATCH' } },
    });
    expect(services.payments.calls).toHaveLength(0);
  });

  it.each([
    ['an empty cart', { cart_items: [] }, 'MISSING_CART_ITEMS'],
    ['an unknown product', { cart_items: [{ product_id: 99, quantity: 1, price: 1 }] }, 'PRODUCT_NOT_FOUND'],
    [
      'a discontinued product',
      { cart_items: [{ product_id: 3, quantity: 1, price: 19.99 }] },
      'PRODUCT_INACTIVE',
    ],
  ])('rejects %s at validation with a permanent error and charges nothing', async (_label, change, code) => {
    const task = await checkout({ ...sampleOrderContext(), ...change });
    expect(task.status).toBe('error');
    expect(states(task)[0]).toEqual(['validate_cart', 'error', 1]);
    expect(step(task, 'validate_cart').results).toMatchObject({ _error: { error_code: code } });
    expect(services.payments.calls).toHaveLength(0);
  });

  it('P1-9: each step has the retry budget of the definition', async () => {
    const task = await checkout();
    expect(task.steps.map((s) => [s.name, s.retryLimit, s.timeoutSeconds])).toEqual([
      ['validate_cart', 3, 15],
      ['process_payment', 3, 30],
      ['update_inventory', 2, 20],
      ['create_order', 3, 15],
      ['send_confirmation', 5, 10],
    ]);
  });

  it('P1-10: a context without customer_info is rejected and no task is written', async () => {
    const { rows: before } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM tasker_tasks');
    const context = sampleOrderContext();
    delete context.customer_info;
    const error = await engine.createTask(processOrderRequest(context)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextValidationError);
    expect((error as ContextValidationError).details).toEqual([
      { path: '/customer_info', message: 'is required' },
    ]);
    const { rows: after } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM tasker_tasks');
    expect(after[0].n).toBe(before[0].n);
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
