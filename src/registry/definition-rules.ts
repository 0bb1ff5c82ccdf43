import semver from 'semver';
import { customEventNameProblem } from './custom-event-names';
import type { DefinitionProblem } from './definition-problem';
import type { CustomEventDeclaration, StepTemplate, TaskDefinition } from './types';

/** Column widths of the tables the definition is stored in; longer values would fail at insert. */
export const NAME_LIMITS = {
  taskName: 64,
  namespaceName: 64,
  version: 64,
  stepName: 128,
  description: 255,
  dependentSystem: 64,
} as const;

const IDENTIFIER = /^[a-zA-Z0-9_./-]+$/;

/** Value rules for the task itself (the DAG and the context schema are checked elsewhere). */
export function findTaskProblems(definition: TaskDefinition): DefinitionProblem[] {
  const problems = [
    ...identifierProblems('name', definition.name, NAME_LIMITS.taskName),
    ...identifierProblems('namespaceName', definition.namespaceName, NAME_LIMITS.namespaceName),
    ...versionProblems(definition.version),
    ...lengthProblems('description', definition.description, NAME_LIMITS.description),
    ...lengthProblems(
      'defaultDependentSystem',
      definition.defaultDependentSystem,
      NAME_LIMITS.dependentSystem,
    ),
    ...customEventProblems(definition.customEvents),
  ];
  return problems.map((message) => ({ message }));
}

/** Value rules for one step template, each problem naming the step. */
export function findStepProblems(step: StepTemplate): DefinitionProblem[] {
  const problems = [
    ...stepNameProblems(step.name),
    ...lengthProblems('description', step.description, NAME_LIMITS.description),
    ...lengthProblems('dependentSystem', step.dependentSystem, NAME_LIMITS.dependentSystem),
    ...(step.handlerClass.trim() === '' ? ['handlerClass must not be empty'] : []),
    ...retryLimitProblems(step.defaultRetryLimit),
    ...timeoutProblems(step.timeoutSeconds),
    ...customEventProblems(step.customEvents),
  ];
  return problems.map((message) => ({ step: step.name, message }));
}

function identifierProblems(field: string, value: string, maxLength: number): string[] {
  if (value === '') return [`${field} must not be empty`];
  if (value.length > maxLength) return [`${field} '${value}' is longer than ${maxLength} characters`];
  if (!IDENTIFIER.test(value)) {
    return [`${field} '${value}' may only contain letters, digits and the characters _ . / -`];
  }
  return [];
}

/**
 * Canonical semver only: `semver.valid` also accepts 'v1.0.0' and '1.0.0+build', which would
 * register one version under a second spelling.
 */
function versionProblems(version: string): string[] {
  if (version.length <= NAME_LIMITS.version && semver.valid(version) === version) return [];
  return [
    `version '${version}' is not a semantic version (expected x.y.z or x.y.z-prerelease, e.g. 2.0.0-beta.1)`,
  ];
}

function stepNameProblems(name: string): string[] {
  if (name.trim() === '') return ['step name must not be empty'];
  if (name.length > NAME_LIMITS.stepName)
    return [`step name is longer than ${NAME_LIMITS.stepName} characters`];
  return [];
}

function lengthProblems(field: string, value: string, maxLength: number): string[] {
  return value.length > maxLength ? [`${field} is longer than ${maxLength} characters`] : [];
}

/** The limit counts total attempts, so below 1 a step could never run. */
function retryLimitProblems(limit: number): string[] {
  return Number.isSafeInteger(limit) && limit >= 1
    ? []
    : [`defaultRetryLimit must be an integer >= 1 (it counts total attempts), got ${limit}`];
}

function timeoutProblems(timeoutSeconds: number | null): string[] {
  if (timeoutSeconds === null || (Number.isSafeInteger(timeoutSeconds) && timeoutSeconds >= 1)) return [];
  return [`timeoutSeconds must be a positive integer, got ${timeoutSeconds}`];
}

function customEventProblems(events: readonly CustomEventDeclaration[]): string[] {
  return events.flatMap((event) => customEventNameProblem(event.name) ?? []);
}
