import { expect } from 'vitest';
import { DefinitionError } from '../../../src/errors';
import type { StepTemplateInput, TaskDefinitionInput } from '../../../src/registry';

export function step(name: string, fields: Partial<StepTemplateInput> = {}): StepTemplateInput {
  return { name, handlerClass: 'Noop', ...fields };
}

/** A valid three-step chain in namespace `shop`, version 1.0.0, with the given overrides. */
export function orderTask(overrides: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput {
  return {
    name: 'place_order',
    namespaceName: 'shop',
    version: '1.0.0',
    stepTemplates: [
      step('validate'),
      step('charge', { dependsOnStep: 'validate' }),
      step('ship', { dependsOnStep: 'charge' }),
    ],
    ...overrides,
  };
}

export function definitionErrorFrom(run: () => unknown): DefinitionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DefinitionError);
    return error as DefinitionError;
  }
  throw new Error('expected a DefinitionError, but nothing was thrown');
}
