import type pg from 'pg';
import type { Logger } from '../interfaces';
import { checkOut } from './transaction';

/** Session advisory lock key: one process per database vacuums at a time ("tasker_vacuum"). */
const VACUUM_LOCK_KEY = 7_464_846_917;

export interface VacuumMaintenanceOptions {
  intervalSeconds: number;
  /** pg-boss's schema: its job and queue tables churn as fast as ours. */
  queueSchema: string;
  logger: Logger;
}

/**
 * Keeps the busiest tables vacuumed and analyzed when the server's autovacuum is off (some test
 * servers and hand-tuned installations run that way). Every state change flips a transition row
 * and every job moves through three states, so without vacuum dead rows pile up in the tables
 * and their indexes and each lookup gets slower the longer the system runs. With autovacuum on it
 * does nothing. Processes that run workers start it; an advisory try-lock lets one of them work at
 * a time.
 */
export class VacuumMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: VacuumMaintenanceOptions,
  ) {}

  /** Schedules the vacuums if the server's autovacuum is off; true when it did. */
  async start(): Promise<boolean> {
    const { rows } = await this.pool.query<{ autovacuum: string }>(
      "SELECT current_setting('autovacuum') AS autovacuum",
    );
    if (rows[0]?.autovacuum === 'on' || this.stopped) return false;
    // Info, not a warning: it is handled, and a warning would land in `tasker run`'s live table.
    this.options.logger.info(
      { intervalSeconds: this.options.intervalSeconds },
      'autovacuum is off on this server: Tasker vacuums its own tables',
    );
    this.timer = setInterval(() => {
      // runOnce reports its own failures; one pass at a time.
      this.running = this.running
        .then(() => this.runOnce())
        .then(
          () => undefined,
          () => undefined,
        );
    }, this.options.intervalSeconds * 1000);
    this.timer.unref();
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the tables; false when another process holds the lock. */
  async runOnce(): Promise<boolean> {
    if (this.stopped) return false;
    const { client, release } = await checkOut(this.pool);
    let failure: unknown;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        VACUUM_LOCK_KEY,
      ]);
      if (!rows[0].locked) return false;
      try {
        for (const table of this.tables()) {
          if (this.stopped) break;
          // VACUUM cannot run in a transaction block; each statement here is its own.
          await client.query(`VACUUM (ANALYZE) ${table}`);
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [VACUUM_LOCK_KEY]);
      }
      return true;
    } catch (error) {
      failure = error;
      this.options.logger.warn({ err: error }, 'Vacuuming Tasker tables failed');
      return false;
    } finally {
      release(failure);
    }
  }

  private tables(): string[] {
    // As pg-boss writes it (bare, or already quoted); pg-boss validated the name when it started.
    const schema = this.options.queueSchema;
    return [
      'tasker_workflow_step_transitions',
      'tasker_task_transitions',
      'tasker_workflow_steps',
      'tasker_tasks',
      `${schema}.job`,
      `${schema}.queue`,
    ];
  }
}
