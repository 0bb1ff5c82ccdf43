import { InvalidRequestError } from '../errors';

/** A path id: a positive integer, else 400 (never passed to SQL as text). */
export function idParam(value: unknown, name: string): number {
  const id = typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(id)) {
    throw new InvalidRequestError(`${name} must be a positive integer`, [
      { path: `/${name}`, message: 'must be a positive integer' },
    ]);
  }
  return id;
}

/** A single-valued query string parameter (repeated parameters are refused). */
export function queryString(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidRequestError(`Query parameter ${name} must be given once, as text`, [
      { path: `/${name}`, message: 'must be a single value' },
    ]);
  }
  // PostgreSQL cannot take a NUL in a text parameter; refuse it here rather than fail in the query.
  if (value.includes('\u0000')) {
    throw new InvalidRequestError(`Query parameter ${name} must not contain the NUL character`, [
      { path: `/${name}`, message: 'must not contain the NUL character (\\u0000)' },
    ]);
  }
  return value;
}

export function queryInteger(query: Record<string, unknown>, name: string): number | undefined {
  const value = queryString(query, name);
  if (value === undefined) return undefined;
  if (!/^-?\d{1,9}$/.test(value)) {
    throw new InvalidRequestError(`Query parameter ${name} must be an integer`, [
      { path: `/${name}`, message: 'must be an integer' },
    ]);
  }
  return Number(value);
}

export function queryBoolean(query: Record<string, unknown>, name: string): boolean {
  const value = queryString(query, name);
  return value === 'true' || value === '1';
}
