import pg from 'pg';

/** Server-level connection used to create and drop the per-scenario databases. */
export const ADMIN_URL = process.env.TASKER_BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** `tasker_bench_<pid>_<scenario>`, with the scenario name reduced to identifier characters. */
export function benchDatabaseName(scenario: string): string {
  return `tasker_bench_${process.pid}_${scenario.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`;
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(name: string): Promise<string> {
  await withAdminClient(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  });
  return databaseUrl(name);
}

/**
 * Waits up to `graceMs` for the database's sessions to end (a closed pg pool resolves `end()` before
 * its sockets are gone), then drops it, forcing out whatever is left. Returns the sessions that were
 * still open after the grace period, e.g. `tasker x3`, so leaks get reported instead of hidden.
 */
export async function dropDatabase(name: string, graceMs = 5_000): Promise<string[]> {
  return withAdminClient(async (client) => {
    const deadline = Date.now() + graceMs;
    let open: string[] = [];
    for (;;) {
      const { rows } = await client.query<{ app: string; n: number }>(
        `SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 1`,
        [name],
      );
      open = rows.map((row) => `${row.app || '(no application_name)'} x${row.n}`);
      if (open.length === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    return open;
  });
}

export async function serverVersion(): Promise<string> {
  return withAdminClient(async (client) => {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0].server_version;
  });
}
