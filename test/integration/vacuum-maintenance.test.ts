import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VacuumMaintenance } from '../../src/db/vacuum-maintenance';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testEngine } from '../support/engine';

const logger = pino({ level: 'silent' });

describe('VacuumMaintenance', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    // pg-boss's tables exist once an engine has started its queue.
    const engine = testEngine(db, { worker: false });
    await engine.ready();
    await engine.close();
  });
  afterAll(async () => {
    await db.drop();
  });

  async function lastVacuums(): Promise<Record<string, boolean>> {
    const { rows } = await db.pool.query<{ relname: string; vacuumed: boolean }>(
      `SELECT schemaname || '.' || relname AS relname, last_vacuum IS NOT NULL AS vacuumed
         FROM pg_stat_user_tables
        WHERE relname IN ('tasker_workflow_step_transitions', 'tasker_task_transitions',
                          'tasker_workflow_steps', 'tasker_tasks', 'job_common', 'queue')
        ORDER BY 1`,
    );
    return Object.fromEntries(rows.map((row) => [row.relname, row.vacuumed]));
  }

  it('vacuums the transition, step, task and job tables in one pass', async () => {
    const maintenance = new VacuumMaintenance(db.pool, {
      intervalSeconds: 60,
      queueSchema: 'tasker_pgboss',
      logger,
    });
    expect(await maintenance.runOnce()).toBe(true);
    expect(await lastVacuums()).toEqual({
      'public.tasker_task_transitions': true,
      'public.tasker_tasks': true,
      'public.tasker_workflow_step_transitions': true,
      'public.tasker_workflow_steps': true,
      'tasker_pgboss.job_common': true,
      'tasker_pgboss.queue': true,
    });
    await maintenance.stop();
  });

  it('skips a pass while another process holds the lock', async () => {
    const other = await db.pool.connect();
    try {
      await other.query('SELECT pg_advisory_lock(7464846917)');
      const maintenance = new VacuumMaintenance(db.pool, {
        intervalSeconds: 60,
        queueSchema: 'tasker_pgboss',
        logger,
      });
      expect(await maintenance.runOnce()).toBe(false);
      await maintenance.stop();
    } finally {
      await other.query('SELECT pg_advisory_unlock(7464846917)');
      other.release();
    }
  });

  it('schedules itself only when the server runs without autovacuum', async () => {
    const { rows } = await db.pool.query<{ on: boolean }>(
      "SELECT current_setting('autovacuum') = 'on' AS on",
    );
    const maintenance = new VacuumMaintenance(db.pool, {
      intervalSeconds: 60,
      queueSchema: 'tasker_pgboss',
      logger,
    });
    expect(await maintenance.start()).toBe(!rows[0].on);
    await maintenance.stop();
    expect(await maintenance.runOnce()).toBe(false);
  });
});
