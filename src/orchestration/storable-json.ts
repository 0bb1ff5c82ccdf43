import { InvalidRequestError, type ValidationDetail } from '../errors';
import { appendPointer } from './json-pointer';

/**
 * Deeper than any real context or result needs; a value nested thousands of levels deep parses fine
 * but would overflow the stack later (serializing it for the database, hashing it).
 */
export const MAX_BODY_DEPTH = 100;

/**
 * Finds what JSON can hold but the rest of the system cannot take: nesting past `MAX_BODY_DEPTH`,
 * and NUL characters (PostgreSQL stores them neither in text nor in jsonb). Iterative, so the check
 * itself cannot overflow the stack.
 */
export function unstorableContent(body: unknown, basePath = ''): ValidationDetail | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [
    { value: body, path: basePath, depth: 0 },
  ];
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

/** Throws an InvalidRequestError (a 400 over HTTP) when `value` cannot be stored; `what` names it. */
export function assertStorable(value: unknown, what: string, basePath: string): void {
  const problem = unstorableContent(value, basePath);
  if (problem)
    throw new InvalidRequestError(`Invalid ${what}: ${problem.path} ${problem.message}`, [problem]);
}
