import Ajv, { type JSONSchemaType } from 'ajv';
import { InvalidRequestError, type ValidationDetail } from '../errors';
import { validationDetails } from '../orchestration/ajv-details';
import { appendPointer } from '../orchestration/json-pointer';

const ajv = new Ajv({ allErrors: true });

/**
 * Deeper than any real context or result needs; a body nested thousands of levels deep parses fine
 * but would overflow the stack later (serializing it for the database, hashing it).
 */
export const MAX_BODY_DEPTH = 100;

/**
 * Finds what the JSON parser accepts but the rest of the system cannot take: nesting past
 * `MAX_BODY_DEPTH`, and NUL characters (PostgreSQL stores them neither in text nor in jsonb).
 * Iterative, so the check itself cannot overflow the stack.
 */
function unstorableContent(body: unknown): ValidationDetail | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path, depth } = next;
    if (typeof value === 'string' && value.includes('\u0000')) {
      return { path, message: 'must not contain the NUL character (\\u0000)' };
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH) return { path, message: `nests deeper than ${MAX_BODY_DEPTH} levels` };
    for (const [key, child] of Object.entries(value)) {
      const childPath = appendPointer(path, key);
      if (key.includes('\u0000')) {
        return { path: childPath, message: 'property names must not contain the NUL character (\\u0000)' };
      }
      pending.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return undefined;
}

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
