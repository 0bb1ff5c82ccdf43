import type { Command } from 'commander';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../db/embedded';
import { migrateDown, migrateUp, migrationStatus } from '../db/migrator';
import { createPool } from '../db/pool';

async function withDatabase<T>(work: (pool: ReturnType<typeof createPool>) => Promise<T>): Promise<T> {
  const embedded: EmbeddedDatabase | undefined = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedDatabase();
  const pool = createPool({
    connectionString: process.env.DATABASE_URL || (embedded as EmbeddedDatabase).url,
    max: 2,
  });
  try {
    return await work(pool);
  } finally {
    await pool.end();
    await embedded?.stop();
  }
}

function print(json: boolean, data: Record<string, string[]>, text: string): void {
  console.log(json ? JSON.stringify(data) : text);
}

export function registerMigrateCommand(program: Command): void {
  const migrate = program
    .command('migrate')
    .description('apply pending database migrations (DATABASE_URL, else the embedded database)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const applied = await withDatabase(migrateUp);
      print(
        Boolean(options.json),
        { applied },
        applied.length ? `Applied: ${applied.join(', ')}` : 'The database schema is up to date.',
      );
    });
  migrate
    .command('status')
    .description('list applied and pending migrations')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const status = await withDatabase(migrationStatus);
      print(
        Boolean(options.json),
        { ...status },
        [...status.executed.map((n) => `applied  ${n}`), ...status.pending.map((n) => `pending  ${n}`)].join(
          '\n',
        ),
      );
    });
  migrate
    .command('down')
    .description('revert the most recent migration (or down to and including --to)')
    .option('--to <name>', 'revert down to and including this migration')
    .option('--json', 'print the result as JSON')
    .action(async (options: { to?: string; json?: boolean }) => {
      const reverted = await withDatabase((pool) => migrateDown(pool, { to: options.to }));
      print(
        Boolean(options.json),
        { reverted },
        reverted.length ? `Reverted: ${reverted.join(', ')}` : 'Nothing to revert.',
      );
    });
}
