import Ajv, { type ErrorObject } from 'ajv';
import { locatedProblemsError, type LocatedProblem } from './definition-problem';
import { taskLabelOfUnvalidated } from './task-label';
import type { TaskDefinitionInput } from './types';

const customEventSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
  },
} as const;

const stepTemplateSchema = {
  type: 'object',
  required: ['name', 'handlerClass'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    dependentSystem: { type: 'string' },
    handlerClass: { type: 'string' },
    handlerConfig: { type: ['object', 'null'] },
    dependsOnStep: { type: ['string', 'null'] },
    dependsOnSteps: { type: 'array', items: { type: 'string' } },
    defaultRetryable: { type: 'boolean' },
    defaultRetryLimit: { type: 'integer' },
    skippable: { type: 'boolean' },
    timeoutSeconds: { type: ['integer', 'null'] },
    customEvents: { type: 'array', items: customEventSchema },
  },
} as const;

/**
 * The shape of `TaskDefinitionInput`: types, required keys, no unknown keys. Value rules
 * (names, semver, ranges, the DAG) are checked afterwards, where messages can name the step.
 */
export const taskDefinitionInputSchema = {
  type: 'object',
  required: ['name', 'stepTemplates'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    namespaceName: { type: 'string' },
    version: { type: 'string' },
    description: { type: 'string' },
    defaultDependentSystem: { type: 'string' },
    schema: { type: ['object', 'null'] },
    stepTemplates: { type: 'array', minItems: 1, items: stepTemplateSchema },
    customEvents: { type: 'array', items: customEventSchema },
  },
} as const;

const validateShape = new Ajv({ allErrors: true, allowUnionTypes: true }).compile<TaskDefinitionInput>(
  taskDefinitionInputSchema,
);

export function assertDefinitionShape(input: unknown): asserts input is TaskDefinitionInput {
  if (validateShape(input)) return;
  const problems = (validateShape.errors ?? []).map((error) => locateShapeError(error, input));
  throw locatedProblemsError(taskLabelOf(input), 'invalid definition', problems);
}

function locateShapeError(error: ErrorObject, input: unknown): LocatedProblem {
  const message =
    error.keyword === 'additionalProperties'
      ? `must NOT have additional property '${String(error.params.additionalProperty)}'`
      : (error.message ?? `fails ${error.keyword}`);
  return { pointer: error.instancePath, message, step: stepNameAt(error.instancePath, input) };
}

function stepNameAt(pointer: string, input: unknown): string | undefined {
  const index = /^\/stepTemplates\/(\d+)(?:\/|$)/.exec(pointer)?.[1];
  if (index === undefined || !isRecord(input) || !Array.isArray(input.stepTemplates)) return undefined;
  const template: unknown = input.stepTemplates[Number(index)];
  return isRecord(template) && typeof template.name === 'string' ? template.name : undefined;
}

function taskLabelOf(input: unknown): string {
  return isRecord(input)
    ? taskLabelOfUnvalidated(input.namespaceName, input.name, input.version)
    : taskLabelOfUnvalidated(undefined, undefined, undefined);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
