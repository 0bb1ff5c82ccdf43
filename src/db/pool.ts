import pg from 'pg';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Type parsers local to Tasker's pools (the host application's `pg` defaults stay untouched):
 * bigint ids and counts become numbers (ids stay far below 2^53), numeric becomes a number.
 */
const taskerTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as pg.CustomTypesConfig;

export interface PoolOptions {
  connectionString: string;
  max?: number;
  applicationName?: string;
}

export function createPool({ connectionString, max = 10, applicationName = 'tasker' }: PoolOptions): pg.Pool {
  return new pg.Pool({ connectionString, max, application_name: applicationName, types: taskerTypes });
}

/** Anything that can run a query: a pool or a client checked out for a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;
