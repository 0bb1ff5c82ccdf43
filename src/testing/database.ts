import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateUp } from '../db/migrator';
import { createPool } from '../db/pool';

/** The server-level connection used when none is given: `TASKER_TEST_ADMIN_URL`, else a local `postgres`. */
export const DEFAULT_TEST_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabaseOptions {
  /** A connection string to a database on the server (used to CREATE and DROP); default `TASKER_TEST_ADMIN_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`. */
  adminUrl?: string;
  /** Start of the database name (lowercase letters, digits, `_`); default `tasker_test`. */
  prefix?: string;
  /**
   * Copy this database (`CREATE DATABASE … TEMPLATE`) instead of migrating a new one: much faster
   * when many tests each want their own database. The template must have no open connections.
   */
  template?: string;
  /** Apply Tasker's migrations to the new database; default true (ignored with `template`). */
  migrate?: boolean;
}

/** A database that exists until `drop()`. */
export interface TestDatabase {
  /** The database name (unique per call). */
  name: string;
  /** Connection string of the new database, for `createEngine({ databaseUrl })` or `createTestEngine`. */
  url: string;
  /** Drops the database, closing any connections still open to it; safe to call twice. */
  drop(): Promise<void>;
}

const NAME_PATTERN = /^[a-z_][a-z0-9_]*$/;
const MAX_IDENTIFIER_LENGTH = 63;

/** The admin URL from the options, `TASKER_TEST_ADMIN_URL`, or the local default. */
export function testAdminUrl(adminUrl?: string): string {
  return adminUrl ?? (process.env.TASKER_TEST_ADMIN_URL || DEFAULT_TEST_ADMIN_URL);
}

/**
 * Creates a uniquely named database on the server behind `adminUrl` (migrated for Tasker unless
 * `migrate: false`, or copied from `template`) and returns its URL and a `drop()` for cleanup.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = testAdminUrl(options.adminUrl);
  const name = uniqueDatabaseName(options.prefix ?? 'tasker_test');
  const template = options.template === undefined ? '' : ` TEMPLATE ${quoteIdentifier(options.template)}`;
  await withAdminClient(adminUrl, (client) =>
    client.query(`CREATE DATABASE ${quoteIdentifier(name)}${template}`),
  );
  const url = databaseUrlOn(adminUrl, name);
  const drop = () => dropTestDatabase(adminUrl, name);
  if (options.template === undefined && options.migrate !== false) {
    await migrateOrDrop(url, drop);
  }
  return { name, url, drop };
}

/** Drops a database created by `createTestDatabase` (or any other), closing its connections first. */
export async function dropTestDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdminClient(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`),
  );
}

async function migrateOrDrop(url: string, drop: () => Promise<void>): Promise<void> {
  const pool = createPool({ connectionString: url, max: 2, applicationName: 'tasker-test-migrate' });
  try {
    await migrateUp(pool);
  } catch (error) {
    await pool.end();
    await drop();
    throw error;
  }
  await pool.end();
}

function uniqueDatabaseName(prefix: string): string {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (!NAME_PATTERN.test(prefix) || name.length > MAX_IDENTIFIER_LENGTH) {
    throw new RangeError(
      `createTestDatabase: prefix must be lowercase letters, digits and _ (at most ${MAX_IDENTIFIER_LENGTH - 20} characters), got ${JSON.stringify(prefix)}`,
    );
  }
  return name;
}

function databaseUrlOn(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function withAdminClient<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'tasker-test-admin' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
