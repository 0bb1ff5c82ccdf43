import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ADMIN_URL } from './mode';

export interface StressDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export function databaseUrlOn(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database for one scenario, with the side table the handlers record their executions in.
 * The Tasker schema is created by the first process that starts (migrations take an advisory lock).
 */
export async function createStressDatabase(
  scenario: string,
  serverUrl: string = ADMIN_URL,
): Promise<StressDatabase> {
  const name = `tasker_stress_${scenario.replace(/\W/g, '_')}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrlOn(serverUrl, name);
  await withClient(url, (client) =>
    client.query(`CREATE TABLE stress_handler_runs (
      run_id bigserial PRIMARY KEY,
      task_id bigint NOT NULL,
      step_id bigint NOT NULL,
      step_name text NOT NULL,
      attempt int NOT NULL,
      pid int NOT NULL,
      at timestamptz NOT NULL DEFAULT clock_timestamp())`),
  );
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // The database-restart scenario stops the server under this pool on purpose.
  pool.on('error', () => undefined);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
