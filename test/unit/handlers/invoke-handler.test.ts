import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors';
import { resolveStepHandler, toStoredResults } from '../../../src/handlers/invoke-handler';
import { PermanentError } from '../../../src/handlers/step-errors';
import {
  StepHandler,
  type StepContext,
  type StepHandlerRegistration,
} from '../../../src/handlers/step-handler';
import { stepContext } from './step-context';

describe('resolveStepHandler', () => {
  it('runs a StepHandler subclass on a fresh instance each time, with this bound', async () => {
    class CountCalls extends StepHandler {
      private calls = 0;

      async process(ctx: StepContext) {
        this.calls += 1;
        return { step: ctx.step.name, calls: this.calls };
      }
    }
    const run = resolveStepHandler(CountCalls);
    await expect(run(stepContext())).resolves.toEqual({ step: 'call_api', calls: 1 });
    await expect(run(stepContext())).resolves.toEqual({ step: 'call_api', calls: 1 });
  });

  it('runs a plain async function', async () => {
    const run = resolveStepHandler(async (ctx) => ({ task: ctx.task.name }));
    await expect(run(stepContext())).resolves.toEqual({ task: 'sync_orders' });
  });

  it('wraps a synchronous return value and a synchronous throw in a promise', async () => {
    await expect(resolveStepHandler(() => 42)(stepContext())).resolves.toBe(42);
    const failing = resolveStepHandler(() => {
      throw new PermanentError('bad input');
    });
    await expect(failing(stepContext())).rejects.toThrow(PermanentError);
  });

  it('rejects a registration that is neither a handler class nor a function', () => {
    class NoProcess {}
    for (const registration of [NoProcess, 'Charge', null] as unknown as StepHandlerRegistration[]) {
      expect(() => resolveStepHandler(registration, 'Charge')).toThrow(
        new ConfigurationError('Charge must be a StepHandler subclass with a process method or a function'),
      );
    }
  });
});

describe('toStoredResults', () => {
  it('stores undefined, functions and symbols as null', () => {
    expect(toStoredResults(undefined)).toBeNull();
    expect(toStoredResults(() => 1)).toBeNull();
    expect(toStoredResults(Symbol('x'))).toBeNull();
  });

  it('keeps JSON values and drops what JSON.stringify drops', () => {
    expect(toStoredResults({ a: 1, b: [true, null, 'x'], c: undefined, d: () => 1, e: Number.NaN })).toEqual({
      a: 1,
      b: [true, null, 'x'],
      e: null,
    });
  });

  it('stores dates as ISO strings, BigInts as strings, Maps as objects and Sets as arrays', () => {
    const results = toStoredResults({
      at: new Date('2026-01-02T03:04:05.678Z'),
      big: 12345678901234567890n,
      byId: new Map<unknown, unknown>([
        [1, 'one'],
        ['two', new Set([2, 2, 3])],
      ]),
    });
    expect(results).toEqual({
      at: '2026-01-02T03:04:05.678Z',
      big: '12345678901234567890',
      byId: { '1': 'one', two: [2, 3] },
    });
  });

  it('replaces characters jsonb rejects: NUL and unpaired surrogates', () => {
    expect(toStoredResults({ 'k\u0000': 'a\u0000b\ud800c', emoji: '😀' })).toEqual({
      'k\ufffd': 'a\ufffdb\ufffdc',
      emoji: '😀',
    });
  });

  it('fails permanently on a circular structure', () => {
    const order: Record<string, unknown> = { id: 1 };
    order.self = order;
    let thrown: unknown;
    try {
      toStoredResults(order);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PermanentError);
    expect(thrown).toMatchObject({
      errorCode: 'RESULTS_NOT_SERIALISABLE',
      message: expect.stringMatching(/^step results are not serialisable: Converting circular structure/),
    });
  });
});
