import pg from 'pg';
import { activeTaskSeedSql } from '../lib/active-task-seed';
import { analyticsSeedSql } from '../lib/analytics-seed';
import { distribution } from '../lib/stats';
import { startEngine } from '../lib/tasker';
import type { Scenario, ScenarioContext } from '../lib/types';

const SIZES = [1_000, 10_000] as const;

/** The statements the engine runs after every step outcome (src/db/queries/execution.ts), plus the batch forms. */
const QUERIES = {
  readiness: 'SELECT workflow_step_id FROM get_step_readiness_status($1) WHERE ready_for_execution',
  context: 'SELECT * FROM get_task_execution_context($1)',
} as const;

type Phase = 'empty history' | 'after history';

/**
 * The readiness SQL on one running fan-out task (root → N − 2 children → join, seeded part-way
 * through: see active-task-seed.ts) of 1,000 and of 10,000 steps: `get_step_readiness_status` (the
 * engine's "which steps are ready" form) and `get_task_execution_context`, p50/p95 over
 * `readinessCalls` calls each after 3 unrecorded warm-up calls, plus one call of each batch
 * function over both tasks. Measured on an otherwise empty database, then again after
 * `readinessHistoryTasks` finished 3-step tasks (analytics-seed.ts) are inserted into the same
 * tables: the cost should follow the task's own steps, not the history. Each phase starts on
 * vacuumed, analyzed tables.
 */
export const readinessSql: Scenario = {
  name: 'readiness-sql',
  timeoutMs: (s) => (s.quick ? 180_000 : 600_000),
  async run(ctx) {
    // Migrations run when the engine starts; nothing is registered, so its workers stay idle.
    await startEngine(ctx, [], {});
    const client = new pg.Client({ connectionString: ctx.databaseUrl, application_name: 'bench-readiness' });
    await client.connect();
    ctx.onCleanup(() => client.end());

    const taskIds = new Map<number, number>();
    for (const steps of SIZES) {
      const startedAt = performance.now();
      await client.query(activeTaskSeedSql(steps, `s${steps}`));
      const { rows } = await client.query<{ task_id: string }>(
        'SELECT task_id FROM tasker_tasks WHERE identity_hash = $1',
        [`readiness-seed-s${steps}`],
      );
      taskIds.set(steps, Number(rows[0].task_id));
      ctx.progress(`seeded a ${steps}-step task in ${Math.round(performance.now() - startedAt)} ms`);
    }
    await checkShape(client, taskIds);
    await vacuum(client);

    await measure(ctx, client, taskIds, 'empty history');

    const history = ctx.settings.readinessHistoryTasks;
    ctx.progress(`seeding ${history.toLocaleString('en-US')} finished tasks of history`);
    const seededAt = performance.now();
    await client.query(analyticsSeedSql(history));
    const { rows } = await client.query<{ steps: string; transitions: string }>(
      `SELECT (SELECT count(*) FROM tasker_workflow_steps) AS steps,
              (SELECT count(*) FROM tasker_workflow_step_transitions) AS transitions`,
    );
    ctx.record({
      metric: `seed ${history} finished tasks (now ${rows[0].steps} steps, ${rows[0].transitions} step transitions)`,
      value: performance.now() - seededAt,
      unit: 'ms',
    });
    await vacuum(client);
    await measure(ctx, client, taskIds, 'after history');
  },
};

/**
 * Both phases measure on vacuumed, analyzed tables: otherwise whether autovacuum happened to pass
 * over the fresh rows (visibility map, hint bits) decides the comparison.
 */
async function vacuum(client: pg.Client): Promise<void> {
  await client.query(
    `VACUUM (ANALYZE) tasker_tasks, tasker_task_transitions, tasker_workflow_steps,
       tasker_workflow_step_edges, tasker_workflow_step_transitions`,
  );
}

/** Fails loudly if the seed did not produce the intended shape (so the timings mean what they say). */
async function checkShape(client: pg.Client, taskIds: Map<number, number>): Promise<void> {
  for (const [steps, taskId] of taskIds) {
    const { rows } = await client.query<{
      total_steps: string;
      ready_steps: string;
      execution_status: string;
    }>('SELECT total_steps, ready_steps, execution_status FROM get_task_execution_context($1)', [taskId]);
    const row = rows[0];
    if (!row || Number(row.total_steps) !== steps || !(Number(row.ready_steps) > 0)) {
      throw new Error(`seeded ${steps}-step task ${taskId} looks wrong: ${JSON.stringify(row)}`);
    }
  }
}

async function measure(
  ctx: ScenarioContext,
  client: pg.Client,
  taskIds: Map<number, number>,
  phase: Phase,
): Promise<void> {
  const calls = ctx.settings.readinessCalls;
  const p50s = new Map<string, number>();
  for (const [name, sql] of Object.entries(QUERIES)) {
    for (const steps of SIZES) {
      const taskId = taskIds.get(steps) as number;
      for (let i = 0; i < 3; i++) await client.query(sql, [taskId]);
      const samples: number[] = [];
      let rows = 0;
      for (let i = 0; i < calls; i++) {
        const startedAt = performance.now();
        const result = await client.query(sql, [taskId]);
        samples.push(performance.now() - startedAt);
        rows = result.rowCount ?? 0;
      }
      const d = distribution(samples);
      const fn = name === 'readiness' ? 'get_step_readiness_status' : 'get_task_execution_context';
      for (const p of ['p50', 'p95'] as const) {
        ctx.record({ metric: `${phase}: ${fn}, ${steps} steps ${p} (n=${d.n})`, value: d[p], unit: 'ms' });
      }
      p50s.set(`${name}:${steps}`, d.p50);
      ctx.progress(`${phase}: ${fn} ${steps} steps p50 ${d.p50.toFixed(2)} ms (${rows} rows)`);
    }
    const fn = name === 'readiness' ? 'get_step_readiness_status' : 'get_task_execution_context';
    ctx.record({
      metric: `${phase}: ${fn} p50 ratio 10k / 1k steps`,
      value: (p50s.get(`${name}:10000`) as number) / (p50s.get(`${name}:1000`) as number),
      unit: 'n',
    });
  }
  // The batch forms over both tasks (11,000 steps), fewer calls: they cost the sum of the two.
  const both = [...taskIds.values()];
  const batch = {
    get_step_readiness_status_batch:
      'SELECT count(*) FROM get_step_readiness_status_batch($1::bigint[]) WHERE ready_for_execution',
    get_task_execution_contexts_batch: 'SELECT count(*) FROM get_task_execution_contexts_batch($1::bigint[])',
  };
  const batchCalls = Math.max(5, Math.round(calls / 5));
  for (const [fn, sql] of Object.entries(batch)) {
    await client.query(sql, [both]);
    const samples: number[] = [];
    for (let i = 0; i < batchCalls; i++) {
      const startedAt = performance.now();
      await client.query(sql, [both]);
      samples.push(performance.now() - startedAt);
    }
    const d = distribution(samples);
    ctx.record({ metric: `${phase}: ${fn}, both tasks p50 (n=${d.n})`, value: d.p50, unit: 'ms' });
  }
}
