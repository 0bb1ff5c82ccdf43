import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateDown, migrateUp, migrationStatus } from '../../src/db/migrator';
import { createEmptyDatabase, type TestDatabase } from '../support/database';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../dist/src/cli/main.js');

const SQL_FUNCTIONS = [
  'calculate_dependency_levels',
  'get_analytics_metrics_v01',
  'get_analytics_trends_v01',
  'get_blocked_steps_v01',
  'get_bottleneck_report_v01',
  'get_bottleneck_report_v02',
  'get_duration_percentiles_v01',
  'get_duration_percentiles_v02',
  'get_error_classes_v01',
  'get_slowest_steps_v01',
  'get_slowest_steps_v02',
  'get_slowest_tasks_v01',
  'get_step_attempt_samples_v02',
  'get_step_attempts_v01',
  'get_step_hotspots_v01',
  'get_step_readiness_status',
  'get_step_readiness_status_batch',
  'get_system_health_counts_v01',
  'get_task_execution_context',
  'get_task_execution_contexts_batch',
  'tasker_ancestor_results',
  'tasker_append_step_transition',
  'tasker_append_task_transition',
  'tasker_claim_step',
  'tasker_complete_step',
  'tasker_create_task',
  'tasker_refresh_step_attempt_facts',
  'tasker_start_step',
  'tasker_transition_steps',
  'tasker_transition_task',
];

describe('migrations', () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  it('creates every table, the DAG view and the SQL functions, then is a no-op', async () => {
    db = await createEmptyDatabase();
    const applied = await migrateUp(db.pool);
    expect(applied.length).toBeGreaterThan(0);
    expect(await migrateUp(db.pool)).toEqual([]);

    const { rows: tables } = await db.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'tasker_%' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'tasker_analytics_rollups',
      'tasker_annotation_types',
      'tasker_dependent_system_object_maps',
      'tasker_dependent_systems',
      'tasker_migrations',
      'tasker_named_steps',
      'tasker_named_tasks',
      'tasker_named_tasks_named_steps',
      'tasker_step_attempt_facts',
      'tasker_step_dag_relationships',
      'tasker_task_annotations',
      'tasker_task_namespaces',
      'tasker_task_transitions',
      'tasker_tasks',
      'tasker_workflow_step_edges',
      'tasker_workflow_step_transitions',
      'tasker_workflow_steps',
    ]);
    const { rows: functions } = await db.pool.query<{ proname: string }>(
      `SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`,
    );
    expect(functions.map((f) => f.proname)).toEqual(SQL_FUNCTIONS);
  });

  it('has no duplicate indexes', async () => {
    db = await createEmptyDatabase();
    await migrateUp(db.pool);
    const { rows } = await db.pool.query(
      `SELECT indrelid::regclass AS table_name, indkey::text AS columns, coalesce(pg_get_expr(indpred, indrelid), '') AS predicate, count(*)::int AS n
         FROM pg_index WHERE indrelid::regclass::text LIKE 'tasker_%'
        GROUP BY 1, 2, 3 HAVING count(*) > 1`,
    );
    expect(rows).toEqual([]);
  });

  it('reports status and reverts the latest migration when it has a down step', async () => {
    db = await createEmptyDatabase();
    await migrateUp(db.pool);
    const status = await migrationStatus(db.pool);
    expect(status.pending).toEqual([]);
    expect(status.executed[0]).toBe('0001_schema.sql');
    const reverted = await migrateDown(db.pool);
    expect(reverted).toHaveLength(1);
    expect((await migrationStatus(db.pool)).pending).toEqual(reverted);
    expect(await migrateUp(db.pool)).toEqual(reverted);
  });

  it('lets two processes migrate the same database at once', async () => {
    db = await createEmptyDatabase();
    const env = { ...process.env, DATABASE_URL: db.url };
    const [first, second] = await Promise.all([
      run(process.execPath, [cli, 'migrate', '--json'], { env }),
      run(process.execPath, [cli, 'migrate', '--json'], { env }),
    ]);
    const applied = [JSON.parse(first.stdout).applied, JSON.parse(second.stdout).applied] as string[][];
    const total = applied[0].length + applied[1].length;
    expect(applied.some((names) => names.length === 0)).toBe(true);
    expect(total).toBe((await migrationStatus(db.pool)).executed.length);
  });
});
