import type { ErrorObject } from 'ajv';
import type { ValidationDetail } from '../errors';
import { appendPointer } from './json-pointer';

/**
 * Turns ajv errors into `{ path, message }` pairs where `path` points at the offending value itself:
 * for a missing or unexpected property that is the property, not its parent object.
 */
export function validationDetails(errors: readonly ErrorObject[] | null | undefined): ValidationDetail[] {
  return (errors ?? []).map((error) => {
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'required') {
      return {
        path: appendPointer(error.instancePath, String(params.missingProperty)),
        message: 'is required',
      };
    }
    if (error.keyword === 'additionalProperties') {
      return {
        path: appendPointer(error.instancePath, String(params.additionalProperty)),
        message: 'is not an allowed property',
      };
    }
    return { path: error.instancePath, message: error.message ?? `fails ${error.keyword}` };
  });
}
