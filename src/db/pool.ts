import { createHash } from 'node:crypto';
import pg from 'pg';

const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;
const NUMERIC_OID = 1700;

/**
 * Type parsers local to Tasker's pools (the host application's `pg` defaults stay untouched):
 * bigint ids and counts (and arrays of them) become numbers (ids stay far below 2^53), numeric
 * becomes a number.
 */
const taskerTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    if (oid === INT8_ARRAY_OID) {
      const parseArray = pg.types.getTypeParser(
        INT8_ARRAY_OID as Parameters<typeof pg.types.getTypeParser>[0],
        'text',
      ) as (value: string) => string[];
      return (value: string) => parseArray(value).map(Number);
    }
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as pg.CustomTypesConfig;

export interface PoolOptions {
  connectionString: string;
  max?: number;
  applicationName?: string;
}

/**
 * Tasker's statements are short; JIT compilation pays off for none of them and cost up to
 * 250 ms once a large history pushed a plan's estimates over jit_above_cost.
 */
const SESSION_OPTIONS = '-c jit=off';

export function createPool({ connectionString, max = 10, applicationName = 'tasker' }: PoolOptions): pg.Pool {
  return new pg.Pool({
    connectionString,
    max,
    application_name: applicationName,
    types: taskerTypes,
    // A connection string with its own `options` keeps them (they would be replaced, not merged).
    options: /[?&]options=/.test(connectionString) ? undefined : SESSION_OPTIONS,
  });
}

/** Anything that can run a parameterised query: a pool, or a transaction's connection. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/**
 * Runs parameterised statements as named prepared statements, so each connection parses and plans a
 * statement once instead of on every call (the hot path repeats the same few statements per step).
 * Statements without parameters (BEGIN, multi-statement migrations) go through unchanged.
 */
export function preparingQueryable(client: pg.PoolClient | pg.Pool): Queryable {
  return {
    query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) {
      if (!values || values.length === 0) return client.query<R>(text);
      const name = `tasker_${createHash('sha1').update(text).digest('base64url').slice(0, 24)}`;
      return client.query<R>({ name, text, values });
    },
  };
}
