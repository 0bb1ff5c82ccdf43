import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/pool';
import { createEmptyDatabase, type TestDatabase } from '../support/database';

describe('createPool', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createEmptyDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('turns JIT off for its sessions and returns bigints as numbers', async () => {
    const pool = createPool({ connectionString: db.url, max: 1 });
    try {
      const { rows } = await pool.query<{ jit: string; n: unknown }>(
        "SELECT current_setting('jit') AS jit, 9007199254740991::bigint AS n",
      );
      expect(rows[0]).toEqual({ jit: 'off', n: 9007199254740991 });
    } finally {
      await pool.end();
    }
  });

  it("keeps a connection string's own session options", async () => {
    const url = `${db.url}?options=${encodeURIComponent('-c statement_timeout=4321')}`;
    const pool = createPool({ connectionString: url, max: 1 });
    try {
      const { rows } = await pool.query<{ timeout: string }>(
        "SELECT current_setting('statement_timeout') AS timeout",
      );
      expect(rows[0].timeout).toBe('4321ms');
    } finally {
      await pool.end();
    }
  });
});
