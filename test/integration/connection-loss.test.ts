import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/pool';
import { withTransaction } from '../../src/db/transaction';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('a connection that drops inside a transaction', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('fails that transaction only: no unhandled error, and the pool replaces the connection', async () => {
    const pool = createPool({ connectionString: db.url, max: 1, applicationName: 'tasker-connection-loss' });
    const unhandled: unknown[] = [];
    const onUncaught = (error: unknown) => unhandled.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const failure = await withTransaction(pool, async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // Another session terminates this one between two statements, as a database restart would.
        await db.pool.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await tx.query('SELECT 1');
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
      // The broken client was discarded: the pool's only slot works again.
      const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await pool.end();
    }
  });
});
