import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  classifyStepError,
  PermanentError,
  RetryableError,
  StepCancelledError,
  StepTimeoutError,
} from '../../../src/handlers/step-errors';

describe('classifyStepError', () => {
  it('retries a RetryableError after the delay it asks for, keeping its context', () => {
    const failure = classifyStepError(
      new RetryableError('rate limited', { retryAfterSeconds: 30, context: { vendor: 'acme' } }),
    );
    expect(failure).toMatchObject({
      kind: 'retryable',
      retryAfterSeconds: 30,
      errorClass: 'RetryableError',
      message: 'rate limited',
      errorCode: null,
      context: { vendor: 'acme' },
    });
  });

  it('fails a PermanentError for good, with its error code', () => {
    const failure = classifyStepError(
      new PermanentError('insufficient funds', { errorCode: 'FUNDS', context: { balance: 0 } }),
    );
    expect(failure).toMatchObject({
      kind: 'permanent',
      retryAfterSeconds: null,
      errorClass: 'PermanentError',
      message: 'insufficient funds',
      errorCode: 'FUNDS',
      context: { balance: 0 },
    });
  });

  it('retries a timed-out step and fails a cancelled one', () => {
    expect(classifyStepError(new StepTimeoutError(30))).toMatchObject({
      kind: 'retryable',
      errorClass: 'StepTimeoutError',
      message: 'Step timed out after 30 seconds',
    });
    expect(classifyStepError(new StepCancelledError())).toMatchObject({
      kind: 'permanent',
      errorClass: 'StepCancelledError',
      errorCode: 'STEP_CANCELLED',
    });
  });

  it('retries any other error, without a delay of its own', () => {
    expect(classifyStepError(new TypeError('fetch failed'))).toMatchObject({
      kind: 'retryable',
      retryAfterSeconds: null,
      errorClass: 'TypeError',
      message: 'fetch failed',
      errorCode: null,
      context: null,
    });
  });

  it('retries thrown values that are not errors', () => {
    expect(classifyStepError('boom')).toEqual({
      kind: 'retryable',
      retryAfterSeconds: null,
      errorClass: 'NonError',
      message: 'boom',
      errorCode: null,
      context: null,
      backtrace: [],
    });
    expect(classifyStepError({ code: 42 })).toMatchObject({ kind: 'retryable', message: '{"code":42}' });
    expect(classifyStepError(undefined)).toMatchObject({ kind: 'retryable', message: 'undefined' });
    expect(classifyStepError(Object.create(null))).toMatchObject({ kind: 'retryable', message: '{}' });
    expect(classifyStepError(10n)).toMatchObject({ kind: 'retryable', message: '[object BigInt]' });
  });

  it('recognises step errors thrown by another copy of the package, in another realm', () => {
    const foreign: unknown = runInNewContext(`
      class PermanentError extends Error {
        constructor(message) {
          super(message);
          this.name = 'PermanentError';
          this.kind = 'tasker.permanent';
          this.errorCode = 'FUNDS';
          this.context = null;
        }
      }
      new PermanentError('insufficient funds');
    `);
    expect(foreign).not.toBeInstanceOf(Error);
    expect(classifyStepError(foreign)).toMatchObject({
      kind: 'permanent',
      errorClass: 'PermanentError',
      errorCode: 'FUNDS',
    });
  });

  it.each([Number.NaN, -1, Infinity, '30'])('ignores a retryAfterSeconds of %j', (retryAfterSeconds) => {
    const error = Object.assign(new RetryableError('rate limited'), { retryAfterSeconds });
    expect(classifyStepError(error).retryAfterSeconds).toBeNull();
  });

  it('caps a requested delay so a hostile server cannot park the step', () => {
    const error = new RetryableError('come back next year', { retryAfterSeconds: 31_536_000 });
    expect(classifyStepError(error).retryAfterSeconds).toBe(3600);
    expect(classifyStepError(error, 60).retryAfterSeconds).toBe(60);
  });

  it('keeps at most ten stack frames, without the message line', () => {
    const error = new Error('line one\nline two');
    error.stack = [
      'Error: line one',
      'line two',
      ...Array.from({ length: 15 }, (_, i) => `    at frame${i} (f.ts:1:1)`),
    ].join('\n');
    const { backtrace } = classifyStepError(error);
    expect(backtrace).toHaveLength(10);
    expect(backtrace[0]).toBe('at frame0 (f.ts:1:1)');
  });

  it('keeps a real stack trace, starting at the frame that threw', () => {
    const { backtrace } = classifyStepError(new PermanentError('nope'));
    expect(backtrace.length).toBeGreaterThan(0);
    expect(backtrace.length).toBeLessThanOrEqual(10);
    expect(backtrace[0]).toMatch(/^at .*step-errors\.test\.ts/);
  });
});

describe('step errors', () => {
  it('carry their cause', () => {
    const cause = new Error('socket hang up');
    expect(new RetryableError('upstream failed', { cause }).cause).toBe(cause);
    expect(new PermanentError('bad input', { cause }).cause).toBe(cause);
    expect('cause' in new RetryableError('upstream failed')).toBe(false);
  });
});
