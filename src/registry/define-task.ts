import { contextSchemaProblem } from './context-schema';
import { definitionErrorFor, type DefinitionProblem } from './definition-problem';
import { findStepProblems, findTaskProblems } from './definition-rules';
import { assertDefinitionShape } from './definition-schema';
import { findGraphProblems } from './graph';
import { cloneJson, deepFreeze } from './json';
import { taskLabel } from './task-label';
import {
  DEFAULT_DEPENDENT_SYSTEM,
  DEFAULT_NAMESPACE,
  DEFAULT_RETRY_LIMIT,
  DEFAULT_VERSION,
  type CustomEventDeclaration,
  type StepTemplate,
  type StepTemplateInput,
  type TaskDefinition,
  type TaskDefinitionInput,
} from './types';

/**
 * Validates a task definition and applies every default. The result is a deep-frozen copy that
 * shares nothing with `input`. Handler classes are not checked here: the registry knows them.
 *
 * @throws DefinitionError naming the task (`namespace.name@version`) and, when it applies, the step.
 */
export function defineTask(input: TaskDefinitionInput): TaskDefinition {
  return validateTaskDefinition(input);
}

/** `defineTask` for input whose type is not known yet (parsed YAML, JSON from elsewhere). */
export function validateTaskDefinition(input: unknown): TaskDefinition {
  assertDefinitionShape(input);
  const definition = normaliseDefinition(input);
  const problem = firstProblem(definition);
  if (problem) throw definitionErrorFor(taskLabel(definition), problem);
  return deepFreeze(definition);
}

function firstProblem(definition: TaskDefinition): DefinitionProblem | undefined {
  return (
    findTaskProblems(definition)[0] ??
    definition.stepTemplates.flatMap(findStepProblems)[0] ??
    findGraphProblems(definition.stepTemplates)[0] ??
    schemaProblem(definition)
  );
}

function schemaProblem({ schema }: TaskDefinition): DefinitionProblem | undefined {
  const message = schema === null ? undefined : contextSchemaProblem(schema);
  return message === undefined ? undefined : { message };
}

function normaliseDefinition(input: TaskDefinitionInput): TaskDefinition {
  const defaultDependentSystem = input.defaultDependentSystem ?? DEFAULT_DEPENDENT_SYSTEM;
  return {
    name: input.name,
    namespaceName: input.namespaceName ?? DEFAULT_NAMESPACE,
    version: input.version ?? DEFAULT_VERSION,
    description: input.description ?? input.name,
    defaultDependentSystem,
    schema: input.schema ? cloneJson(input.schema) : null,
    stepTemplates: input.stepTemplates.map((template) => normaliseStep(template, defaultDependentSystem)),
    customEvents: normaliseCustomEvents(input.customEvents),
  };
}

function normaliseStep(input: StepTemplateInput, defaultDependentSystem: string): StepTemplate {
  return {
    name: input.name,
    description: input.description ?? input.name,
    dependentSystem: input.dependentSystem ?? defaultDependentSystem,
    handlerClass: input.handlerClass,
    handlerConfig: input.handlerConfig ? cloneJson(input.handlerConfig) : null,
    dependsOn: dependenciesOf(input),
    defaultRetryable: input.defaultRetryable ?? true,
    defaultRetryLimit: input.defaultRetryLimit ?? DEFAULT_RETRY_LIMIT,
    skippable: input.skippable ?? false,
    timeoutSeconds: input.timeoutSeconds ?? null,
    customEvents: normaliseCustomEvents(input.customEvents),
  };
}

/** `uniq(compact([dependsOnStep, ...dependsOnSteps]))`, as the reference builds `all_dependencies`. */
function dependenciesOf({ dependsOnStep, dependsOnSteps = [] }: StepTemplateInput): string[] {
  const declared = dependsOnStep == null ? dependsOnSteps : [dependsOnStep, ...dependsOnSteps];
  return [...new Set(declared)];
}

function normaliseCustomEvents(events: readonly CustomEventDeclaration[] = []): CustomEventDeclaration[] {
  return events.map(({ name, description }) =>
    description === undefined ? { name } : { name, description },
  );
}
