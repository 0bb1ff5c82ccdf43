import Ajv, { type JSONSchemaType } from 'ajv';
import { InvalidRequestError } from '../errors';
import { validationDetails } from '../orchestration/ajv-details';
import { unstorableContent } from '../orchestration/storable-json';

const ajv = new Ajv({ allErrors: true });

/**
 * Validates a request body against a JSON Schema (compiled once) and returns it typed; every
 * problem is reported with a JSON pointer into the body.
 */
export function bodyValidator<T>(schema: JSONSchemaType<T>, what: string): (body: unknown) => T {
  const validate = ajv.compile(schema);
  return (body) => {
    const unstorable = unstorableContent(body);
    if (unstorable) {
      throw new InvalidRequestError(`Invalid ${what}: ${unstorable.path || '/'} ${unstorable.message}`, [
        unstorable,
      ]);
    }
    if (validate(body)) return body;
    const details = validationDetails(validate.errors);
    throw new InvalidRequestError(
      `Invalid ${what}: ${details.map((d) => `${d.path || '/'} ${d.message}`).join('; ')}`,
      details,
    );
  };
}
