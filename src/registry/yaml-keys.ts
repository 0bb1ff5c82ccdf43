import { locatedProblemsError, type LocatedProblem } from './definition-problem';
import { isJsonObject } from './json';
import type { JsonObject, JsonValue } from './types';

type KeyNames = Readonly<Record<string, string>>;

const TASK_KEYS: KeyNames = {
  name: 'name',
  namespace_name: 'namespaceName',
  version: 'version',
  description: 'description',
  default_dependent_system: 'defaultDependentSystem',
  schema: 'schema',
  step_templates: 'stepTemplates',
  custom_events: 'customEvents',
};

const STEP_KEYS: KeyNames = {
  name: 'name',
  description: 'description',
  dependent_system: 'dependentSystem',
  default_retryable: 'defaultRetryable',
  default_retry_limit: 'defaultRetryLimit',
  skippable: 'skippable',
  handler_class: 'handlerClass',
  handler_config: 'handlerConfig',
  depends_on_step: 'dependsOnStep',
  depends_on_steps: 'dependsOnSteps',
  custom_events: 'customEvents',
  timeout_seconds: 'timeoutSeconds',
};

const CUSTOM_EVENT_KEYS: KeyNames = { name: 'name', description: 'description' };

/**
 * Top-level keys of the reference's YAML that mean nothing here (Ruby class lookup, an ignored
 * flag) or are checked by the YAML loader itself (`named_steps`): accepted so its files load.
 */
const NON_DEFINITION_TASK_KEYS: ReadonlySet<string> = new Set([
  'task_handler_class',
  'module_namespace',
  'concurrent',
  'named_steps',
]);

interface Renaming {
  pointer: string;
  step?: string;
  unknownKeys: LocatedProblem[];
}

/**
 * Turns a parsed YAML definition (snake_case, environments already applied) into the camelCase
 * shape `defineTask` validates. Unknown keys are rejected here, where their YAML spelling and
 * location are known; value types are left to the definition schema.
 */
export function yamlToDefinitionInput(document: JsonObject, task: string): JsonObject {
  const unknownKeys: LocatedProblem[] = [];
  const input = renameKeys(document, TASK_KEYS, { pointer: '', unknownKeys }, NON_DEFINITION_TASK_KEYS);
  const converted: JsonObject = { ...input };
  if (Array.isArray(input.stepTemplates)) {
    converted.stepTemplates = input.stepTemplates.map((template, index) =>
      renameStep(template, index, unknownKeys),
    );
  }
  if (Array.isArray(input.customEvents)) {
    converted.customEvents = renameCustomEvents(input.customEvents, {
      pointer: '/custom_events',
      unknownKeys,
    });
  }
  if (unknownKeys.length > 0) throw locatedProblemsError(task, 'invalid definition', unknownKeys);
  return converted;
}

function renameStep(template: JsonValue, index: number, unknownKeys: LocatedProblem[]): JsonValue {
  if (!isJsonObject(template)) return template;
  const renaming: Renaming = {
    pointer: `/step_templates/${index}`,
    step: typeof template.name === 'string' ? template.name : undefined,
    unknownKeys,
  };
  const step = renameKeys(template, STEP_KEYS, renaming);
  if (!Array.isArray(step.customEvents)) return step;
  return {
    ...step,
    customEvents: renameCustomEvents(step.customEvents, {
      ...renaming,
      pointer: `${renaming.pointer}/custom_events`,
    }),
  };
}

function renameCustomEvents(events: JsonValue[], renaming: Renaming): JsonValue[] {
  return events.map((event, index) =>
    isJsonObject(event)
      ? renameKeys(event, CUSTOM_EVENT_KEYS, { ...renaming, pointer: `${renaming.pointer}/${index}` })
      : event,
  );
}

function renameKeys(
  object: JsonObject,
  names: KeyNames,
  { pointer, step, unknownKeys }: Renaming,
  ignored: ReadonlySet<string> = new Set(),
): JsonObject {
  const renamed = Object.entries(object).flatMap(([key, value]): [string, JsonValue][] => {
    if (Object.hasOwn(names, key)) return [[names[key], value]];
    if (!ignored.has(key)) unknownKeys.push({ pointer, step, message: unknownKeyMessage(key, names) });
    return [];
  });
  return Object.fromEntries(renamed);
}

function unknownKeyMessage(key: string, names: KeyNames): string {
  const yamlSpelling = Object.keys(names).find((yamlKey) => yamlKey !== key && names[yamlKey] === key);
  return yamlSpelling === undefined
    ? `has unknown key '${key}'`
    : `has unknown key '${key}' (YAML keys are snake_case: '${yamlSpelling}')`;
}
