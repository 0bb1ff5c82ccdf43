import type { ValidateFunction } from 'ajv';
import { ContextValidationError } from '../errors';
import { compileContextSchema } from '../registry/context-schema';
import { taskLabel } from '../registry/task-label';
import type { JsonObject, TaskDefinition } from '../registry/types';
import { validationDetails } from './ajv-details';

/**
 * Validates task contexts against their definition's JSON Schema with standard semantics
 * (`required` is respected, extra properties allowed unless `additionalProperties: false`) and
 * formats checked. Each definition's schema compiles once per engine.
 */
export class ContextValidator {
  private readonly compiled = new WeakMap<TaskDefinition, ValidateFunction>();

  validate(definition: TaskDefinition, context: JsonObject): void {
    if (!definition.schema) return;
    const validate = this.validatorFor(definition, definition.schema);
    if (!validate(context))
      throw new ContextValidationError(taskLabel(definition), validationDetails(validate.errors));
  }

  private validatorFor(definition: TaskDefinition, schema: JsonObject): ValidateFunction {
    let validate = this.compiled.get(definition);
    if (!validate) {
      validate = compileContextSchema(schema);
      this.compiled.set(definition, validate);
    }
    return validate;
  }
}
