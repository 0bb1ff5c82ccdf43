import fs from 'node:fs';
import path from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';
import { checkOut } from './transaction';

/**
 * Where the package keeps `migrations/` and `sql/`: the repo root in development, the package root
 * when installed. Found by walking up, because compiled code sits one level deeper (`dist/src/...`).
 */
export const PACKAGE_ROOT = findPackageRoot(__dirname);

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'migrations')))
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`tasker: no package root with migrations/ above ${start}`);
  }
}
const MIGRATIONS_DIR = path.join(PACKAGE_ROOT, 'migrations');
const MIGRATIONS_TABLE = 'tasker_migrations';
/** Arbitrary constant shared by every Tasker process: the advisory lock that serialises migrators. */
const MIGRATION_LOCK_KEY = 727_274_001;
const INCLUDE_DIRECTIVE = /^-- @include (\S+)\s*$/gm;

/** Reads a migration file, expanding `-- @include sql/<file>.sql` lines into that file's text. */
export function readMigrationSql(file: string): string {
  const text = fs.readFileSync(file, 'utf8');
  return text.replace(INCLUDE_DIRECTIVE, (_line, included: string) =>
    fs.readFileSync(path.join(PACKAGE_ROOT, included), 'utf8'),
  );
}

async function inTransaction(client: PoolClient, work: () => Promise<unknown>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/**
 * umzug storage in our own table. The row is written by the migration's own transaction (see
 * `buildMigrator`), so a crash can never leave a migration applied but unrecorded.
 */
function migrationsTableStorage(client: PoolClient): UmzugStorage {
  return {
    async executed() {
      const { rows } = await client.query<{ name: string }>(
        `SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`,
      );
      return rows.map((row) => row.name);
    },
    async logMigration({ name }) {
      await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES ($1) ON CONFLICT DO NOTHING`, [name]);
    },
    async unlogMigration({ name }) {
      await client.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE name = $1`, [name]);
    },
  };
}

function buildMigrator(client: PoolClient): Umzug<PoolClient> {
  return new Umzug<PoolClient>({
    migrations: {
      glob: ['*.sql', { cwd: MIGRATIONS_DIR, ignore: ['*.down.sql'] }],
      resolve: ({ name, path: file }) => {
        const upFile = file as string;
        const downFile = upFile.replace(/\.sql$/, '.down.sql');
        return {
          name,
          up: () =>
            inTransaction(client, async () => {
              await client.query(readMigrationSql(upFile));
              await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES ($1)`, [name]);
            }),
          down: () => {
            if (!fs.existsSync(downFile)) throw new Error(`Migration ${name} has no down step (${downFile})`);
            return inTransaction(client, async () => {
              await client.query(readMigrationSql(downFile));
              await client.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE name = $1`, [name]);
            });
          },
        };
      },
    },
    context: client,
    storage: migrationsTableStorage(client),
    logger: undefined,
  });
}

/** Runs `work` on one connection while holding the migration advisory lock, so concurrent processes take turns. */
async function withMigrationLock<T>(
  pool: Pool,
  work: (migrator: Umzug<PoolClient>) => Promise<T>,
): Promise<T> {
  const { client, release } = await checkOut(pool);
  let failure: unknown;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      return await work(buildMigrator(client));
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    release(failure);
  }
}

/** Applies every pending migration; returns the names applied by this call (empty when up to date). */
export function migrateUp(pool: Pool): Promise<string[]> {
  return withMigrationLock(pool, async (migrator) => (await migrator.up()).map((m) => m.name));
}

/** Reverts the most recent migration (or down to and including `to`); returns the names reverted. */
export function migrateDown(pool: Pool, options: { to?: string } = {}): Promise<string[]> {
  return withMigrationLock(pool, async (migrator) =>
    (await migrator.down(options.to ? { to: options.to } : undefined)).map((m) => m.name),
  );
}

export interface MigrationStatus {
  executed: string[];
  pending: string[];
}

export function migrationStatus(pool: Pool): Promise<MigrationStatus> {
  return withMigrationLock(pool, async (migrator) => ({
    executed: (await migrator.executed()).map((m) => m.name),
    pending: (await migrator.pending()).map((m) => m.name),
  }));
}
