import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const BIN = process.env.TASKER_STRESS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A private PostgreSQL 15 cluster in a temporary directory, on a free port, so a scenario can stop
 * and restart the server without touching the shared one on 5432. PostgreSQL refuses to run as
 * root, so as root every command runs as the `postgres` OS user (`runuser -u postgres --`).
 */
export class PrivateCluster {
  readonly directory: string;
  private port = 0;

  private constructor(directory: string) {
    this.directory = directory;
  }

  static async create(): Promise<PrivateCluster> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tasker-stress-pg-'));
    const cluster = new PrivateCluster(directory);
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', directory]);
    cluster.port = await freePort();
    cluster.run('initdb', [
      '-D',
      cluster.dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    return cluster;
  }

  get dataDir(): string {
    return path.join(this.directory, 'data');
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    const options = `-p ${this.port} -k ${this.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-o',
      options,
      '-l',
      path.join(this.directory, 'server.log'),
      '-w',
      'start',
    ]);
  }

  /** Fast shutdown: open connections are terminated, as in a real restart or failover. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      // Already stopped.
    }
    fs.rmSync(this.directory, { recursive: true, force: true });
  }

  private run(program: string, args: string[]): void {
    const command = path.join(BIN, program);
    if (process.getuid?.() === 0) {
      execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
    } else {
      execFileSync(command, args, { stdio: 'pipe' });
    }
  }
}
