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

/** PostgreSQL error codes for a transaction that lost a race and may simply be run again. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);
const TRANSACTION_ATTEMPTS = 3;

/**
 * `withTransaction`, run again when PostgreSQL aborted it for a deadlock or a serialization
 * failure (rare races, e.g. a cancellation meeting a step's outcome). `work` must be safe to repeat:
 * everything it wrote was rolled back and its after-commit callbacks were dropped.
 */
export async function withRetriedTransaction<T>(
  pool: pg.Pool,
  work: (tx: Transaction) => Promise<T>,
  onAfterCommitError?: AfterCommitErrorHandler,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await withTransaction(pool, work, onAfterCommitError);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= TRANSACTION_ATTEMPTS || typeof code !== 'string' || !RETRYABLE_SQLSTATES.has(code))
        throw error;
    }
  }
}
