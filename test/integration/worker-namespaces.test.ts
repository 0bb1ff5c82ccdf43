import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTask } from '../../src/registry/define-task';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_WORKER, testEngine } from '../support/engine';

const inNamespace = (namespaceName: string) =>
  defineTask({ name: 'job', namespaceName, stepTemplates: [{ name: 'only', handlerClass: 'Mark' }] });

describe('worker.namespaces', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('limits a process to the queues of its namespaces; another process serves the rest', async () => {
    const ranBy: Record<string, string[]> = { billing: [], shipping: [] };
    const engineFor = (label: string, namespaces: string[]) =>
      testEngine(db, {
        tasks: [inNamespace('billing'), inNamespace('shipping')],
        stepHandlers: { Mark: (ctx) => void ranBy[ctx.task.namespace].push(label) },
        worker: { ...FAST_WORKER, namespaces },
      });
    const billingOnly = engineFor('billing-worker', ['billing']);
    await billingOnly.ready();
    try {
      const billing = await billingOnly.createTask({ name: 'job', namespace: 'billing', context: {} });
      const shipping = await billingOnly.createTask({ name: 'job', namespace: 'shipping', context: {} });
      expect((await billingOnly.runUntilSettled(billing.taskId)).status).toBe('complete');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await billingOnly.getTask(shipping.taskId))?.status).toBe('pending');

      const shippingOnly = engineFor('shipping-worker', ['shipping']);
      await shippingOnly.ready();
      try {
        expect((await shippingOnly.runUntilSettled(shipping.taskId)).status).toBe('complete');
      } finally {
        await shippingOnly.close();
      }
      expect(ranBy).toEqual({ billing: ['billing-worker'], shipping: ['shipping-worker'] });
    } finally {
      await billingOnly.close();
    }
  });
});
