import type { DefinitionProblem } from './definition-problem';
import type { JsonValue, TaskDefinition } from './types';

/**
 * The reference's `named_steps` guard: when a YAML definition lists its step names, every
 * template and every dependency must be one of them (catches typos across a long file).
 */
export function namedStepsProblems(
  namedSteps: JsonValue | undefined,
  definition: TaskDefinition,
): DefinitionProblem[] {
  if (namedSteps === undefined || namedSteps === null) return [];
  if (!Array.isArray(namedSteps) || !namedSteps.every((name) => typeof name === 'string')) {
    return [{ message: 'named_steps must be a list of step names' }];
  }
  const listed = new Set(namedSteps);
  return definition.stepTemplates.flatMap((template) => [
    ...(listed.has(template.name)
      ? []
      : [
          {
            step: template.name,
            message: `Step template name '${template.name}' is not in the named_steps list`,
          },
        ]),
    ...template.dependsOn
      .filter((parent) => !listed.has(parent))
      .map((parent) => ({
        step: template.name,
        message: `Dependency step '${parent}' is not in the named_steps list`,
      })),
  ]);
}
