import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { JsonObject } from './types';

/**
 * Compiles a task's context schema. Each call gets its own Ajv instance: Ajv caches schemas by
 * `$id`, so a shared instance would make two definitions with the same `$id` collide. `strict`
 * is off because authors' schemas often carry keywords Ajv does not know (`example`, …).
 */
export function compileContextSchema(schema: JsonObject): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** Why the context schema is not a usable JSON Schema, or `undefined` when it is. */
export function contextSchemaProblem(schema: JsonObject): string | undefined {
  try {
    compileContextSchema(schema);
    return undefined;
  } catch (error) {
    return `schema is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`;
  }
}
