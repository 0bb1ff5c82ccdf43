import type pg from 'pg';
import { preparingQueryable, type Queryable } from './pool';

/** A unit of work on one connection: queries run inside BEGIN … COMMIT; callbacks run after COMMIT. */
export interface Transaction extends Queryable {
  /** Runs once the transaction has committed (never when it rolls back). */
  afterCommit(callback: () => void): void;
}

export type AfterCommitErrorHandler = (error: unknown) => void;

export async function withTransaction<T>(
  pool: pg.Pool,
  work: (tx: Transaction) => Promise<T>,
  onAfterCommitError: AfterCommitErrorHandler = () => undefined,
): Promise<T> {
  const client = await pool.connect();
  const callbacks: Array<() => void> = [];
  let result: T;
  try {
    await client.query('BEGIN');
    result = await work({
      query: preparingQueryable(client).query,
      afterCommit: (callback) => callbacks.push(callback),
    });
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    throw error;
  }
  client.release();
  for (const callback of callbacks) {
    try {
      callback();
    } catch (error) {
      onAfterCommitError(error);
    }
  }
  return result;
}
