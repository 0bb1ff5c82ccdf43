import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, testAdminUrl, type TestDatabase } from '../../src/testing';

async function adminQuery<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: testAdminUrl() });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length === 1;
}

async function tablesOf(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    return rows.map((row) => row.table_name);
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  const created: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(created.splice(0).map((db) => db.drop()));
  });

  it('creates a uniquely named, migrated database and drops it again', async () => {
    const db = await createTestDatabase();
    created.push(db);
    expect(db.name).toMatch(/^tasker_test_\d+_[0-9a-f]{8}$/);
    expect(new URL(db.url).pathname).toBe(`/${db.name}`);
    expect(await databaseExists(db.name)).toBe(true);
    expect(await tablesOf(db.url)).toEqual(
      expect.arrayContaining(['tasker_tasks', 'tasker_workflow_steps', 'tasker_task_transitions']),
    );

    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
    await expect(db.drop()).resolves.toBeUndefined();
  });

  it('drops a database that still has open connections', async () => {
    const db = await createTestDatabase({ migrate: false });
    created.push(db);
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
  });

  it('gives every call its own database, empty with migrate: false', async () => {
    const [a, b] = await Promise.all([
      createTestDatabase({ migrate: false, prefix: 'tasker_probe' }),
      createTestDatabase({ migrate: false, prefix: 'tasker_probe' }),
    ]);
    created.push(a, b);
    expect(a.name).not.toBe(b.name);
    expect(a.name.startsWith('tasker_probe_')).toBe(true);
    expect(await tablesOf(a.url)).toEqual([]);
  });

  it('copies a template database instead of migrating when given one', async () => {
    const template = await createTestDatabase({ prefix: 'tasker_tpl' });
    created.push(template);
    const copy = await createTestDatabase({ template: template.name });
    created.push(copy);
    expect(await tablesOf(copy.url)).toEqual(await tablesOf(template.url));
  });

  it('refuses a prefix that is not a plain lowercase identifier', async () => {
    await expect(createTestDatabase({ prefix: 'Bad-Name' })).rejects.toThrow(/prefix must be lowercase/);
  });

  it('uses the admin URL it is given', async () => {
    const adminUrl = new URL(testAdminUrl());
    adminUrl.port = '1';
    await expect(createTestDatabase({ adminUrl: adminUrl.toString() })).rejects.toThrow(/ECONNREFUSED/);
  });
});
