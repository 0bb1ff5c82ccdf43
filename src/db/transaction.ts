import type pg from 'pg';
import { preparingQueryable, type Queryable } from './pool';

/** A unit of work on one connection: queries run inside BEGIN … COMMIT; callbacks run after COMMIT. */
export interface Transaction extends Queryable {
  /** Runs once the transaction has committed (never when it rolls back). */
  afterCommit(callback: () => void): void;
}

export type AfterCommitErrorHandler = (error: unknown) => void;

/**
 * A pooled client for a unit of work. pg-pool stops listening for a client's `error` events while it
 * is checked out, so a connection that drops between two statements (a database restart, a network
 * cut) would emit an unhandled `error` and crash the process; this keeps a listener on it, and a
 * client that failed is released as broken so the pool discards it.
 */
export async function checkOut(
  pool: pg.Pool,
): Promise<{ client: pg.PoolClient; release: (error?: unknown) => void }> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken ??= error;
  };
  client.on('error', onError);
  return {
    client,
    release: (error?: unknown) => {
      client.off('error', onError);
      const failure = broken ?? (isConnectionError(error) ? (error as Error) : undefined);
      client.release(failure);
    },
  };
}

/**
 * Errors that say the database could not be reached or dropped the connection (a restart, a
 * network cut): the connection must not be reused, and the request may succeed if tried again.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' &&
      (code.startsWith('08') ||
        code.startsWith('57P') ||
        ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code))) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(error.message)
  );
}

export async function withTransaction<T>(
  pool: pg.Pool,
  work: (tx: Transaction) => Promise<T>,
  onAfterCommitError: AfterCommitErrorHandler = () => undefined,
): Promise<T> {
  const { client, release } = await checkOut(pool);
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
    release(error);
    throw error;
  }
  release();
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
