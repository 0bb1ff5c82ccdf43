import { describe, expect, it } from 'vitest';
import type { Task, WorkflowStep } from '../../src/interfaces';
import { expectStepStates, expectTaskStatus, stepNamed, TaskAssertionError } from '../../src/testing';

function step(name: string, fields: Partial<WorkflowStep>): WorkflowStep {
  return { name, status: 'pending', attempts: 0, retryLimit: 3, results: null, ...fields } as WorkflowStep;
}

const task = {
  taskId: 42,
  fullName: 'shop.checkout@1.0.0',
  status: 'error',
  steps: [
    step('validate', { status: 'complete', attempts: 1 }),
    step('charge', {
      status: 'error',
      attempts: 3,
      results: { _error: { message: 'card declined', error_class: 'PermanentError', attempt: 3 } },
    }),
    step('ship', {}),
  ],
} as Task;

function thrown(check: () => void): Error {
  try {
    check();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the check to throw');
}

describe('step state assertions', () => {
  it('passes when the named steps are in the expected states', () => {
    expect(() => expectStepStates(task, { validate: 'complete', charge: 'error' })).not.toThrow();
    expect(() => expectTaskStatus(task, 'error')).not.toThrow();
  });

  it('lists every mismatch and every step with its attempts and last error', () => {
    const error = thrown(() =>
      expectStepStates(task, { validate: 'complete', charge: 'complete', ship: 'complete' }),
    );
    expect(error).toBeInstanceOf(TaskAssertionError);
    expect(error.message).toBe(
      [
        'Task 42 (shop.checkout@1.0.0, status error): step states differ',
        '  charge: expected complete, got error (attempts 3/3, last error: card declined)',
        '  ship: expected complete, got pending (attempts 0/3)',
        'All steps:',
        '  validate  complete (attempts 1/3)',
        '  charge    error (attempts 3/3, last error: card declined)',
        '  ship      pending (attempts 0/3)',
      ].join('\n'),
    );
  });

  it('names a step the task does not have', () => {
    expect(thrown(() => expectStepStates(task, { refund: 'complete' })).message).toContain(
      'refund: expected complete, but the task has no such step',
    );
    expect(() => stepNamed(task, 'refund')).toThrow(
      'Task 42 (shop.checkout@1.0.0, status error) has no step "refund"; its steps are validate, charge, ship',
    );
  });

  it('reports the task status with the steps', () => {
    expect(thrown(() => expectTaskStatus(task, 'complete')).message).toMatch(
      /^Task 42 \(shop\.checkout@1\.0\.0, status error\): expected status complete, got error\nAll steps:\n/,
    );
  });
});
