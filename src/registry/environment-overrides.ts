import { DefinitionError } from '../errors';
import { isJsonObject } from './json';
import type { JsonObject, JsonValue } from './types';

/**
 * Applies `environments[environment]` to a parsed YAML definition and drops `environments`:
 * objects merge recursively, scalars and arrays replace, and `step_templates` merge by step
 * name (overrides for steps the base does not declare are ignored; base order is kept).
 */
export function applyEnvironmentOverrides(
  document: JsonObject,
  environment: string,
  task: string,
): JsonObject {
  const { environments, ...base } = document;
  if (environments === undefined || environments === null) return base;
  if (!isJsonObject(environments)) {
    throw new DefinitionError(task, 'environments must be a mapping from environment name to overrides');
  }
  const overrides = Object.hasOwn(environments, environment) ? environments[environment] : null;
  if (overrides === null) return base;
  if (!isJsonObject(overrides)) {
    throw new DefinitionError(task, `environments.${environment} must be a mapping of overrides`);
  }
  return mergeDefinition(base, overrides, environment, task);
}

function mergeDefinition(
  base: JsonObject,
  overrides: JsonObject,
  environment: string,
  task: string,
): JsonObject {
  const { step_templates: templateOverrides, ...otherOverrides } = overrides;
  const merged = mergeObjects(base, otherOverrides);
  if (templateOverrides === undefined) return merged;
  if (!Array.isArray(templateOverrides)) {
    throw new DefinitionError(task, `environments.${environment}.step_templates must be a list`);
  }
  if (!Array.isArray(base.step_templates)) return merged;
  return { ...merged, step_templates: mergeStepTemplates(base.step_templates, templateOverrides) };
}

function mergeStepTemplates(base: JsonValue[], overrides: JsonValue[]): JsonValue[] {
  return base.map((template) => {
    if (!isJsonObject(template)) return template;
    const override = overrides.find(
      (candidate) => isJsonObject(candidate) && candidate.name === template.name,
    );
    return isJsonObject(override) ? mergeObjects(template, override) : template;
  });
}

/** Built through a Map so a `__proto__` key coming from YAML stays an ordinary key. */
function mergeObjects(base: JsonObject, overrides: JsonObject): JsonObject {
  const merged = new Map(Object.entries(base));
  for (const [key, override] of Object.entries(overrides)) {
    const current = merged.get(key);
    merged.set(
      key,
      isJsonObject(current) && isJsonObject(override) ? mergeObjects(current, override) : override,
    );
  }
  return Object.fromEntries(merged);
}
