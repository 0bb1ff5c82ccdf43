import pg from 'pg';
import { analyticsSeedSql } from '../lib/analytics-seed';
import { distribution } from '../lib/stats';
import { startEngine } from '../lib/tasker';
import type { Scenario } from '../lib/types';

const TASKS = 100_000;
const QUICK_TASKS = 20_000;
const RUNS = 3;
const HOUR_MS = 3_600_000;

/**
 * The SQL analytics on a seeded history: `TASKS` finished 3-step tasks (≈ 9.3 step transitions
 * each, some retries and failures) over the last 20 hours, inserted with generate_series. Times the
 * engine methods behind `GET /analytics/bottlenecks` (24 h and 1 h windows) and
 * `GET /analytics/performance` (its 1 h / 4 h / 24 h trends and the 24 h figures), which bypass the
 * router's 30 s answer cache: the first call of each is "cold" (fresh plans, caches), then `RUNS`
 * more are "warm". The step-attempt roll-up of the seeded history is timed on its own first.
 */
export const analytics100k: Scenario = {
  name: 'analytics-100k',
  timeoutMs: (s) => (s.quick ? 180_000 : 600_000),
  async run(ctx) {
    const tasks = ctx.settings.quick ? QUICK_TASKS : TASKS;
    // Migrations run when the engine starts; it runs no workers (nothing to execute).
    const engine = await startEngine(ctx, [], {});
    ctx.progress(`seeding ${tasks.toLocaleString('en-US')} finished tasks`);
    const client = new pg.Client({ connectionString: ctx.databaseUrl });
    await client.connect();
    try {
      const seededAt = performance.now();
      await client.query(analyticsSeedSql(tasks));
      const { rows } = await client.query<{ transitions: string }>(
        'SELECT count(*) AS transitions FROM tasker_workflow_step_transitions',
      );
      ctx.record({
        metric: `seed ${tasks} tasks (${rows[0].transitions} step transitions)`,
        value: performance.now() - seededAt,
        unit: 'ms',
      });
      // What the first analytics call after an upgrade (or a long pause) pays once: rolling the seeded
      // history's attempts up into tasker_step_attempt_facts. Later calls roll up only what changed.
      const rolledAt = performance.now();
      const { rows: rolled } = await client.query<{ written: number }>(
        'SELECT tasker_refresh_step_attempt_facts() AS written',
      );
      ctx.record({
        metric: `roll up the seeded history (${rolled[0].written} step attempts, once)`,
        value: performance.now() - rolledAt,
        unit: 'ms',
      });
      await client.query('ANALYZE');
    } finally {
      await client.end();
    }

    const measure = async (label: string, work: () => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        const startedAt = performance.now();
        await work();
        const elapsed = performance.now() - startedAt;
        if (i === 0) ctx.record({ metric: `${label} cold`, value: elapsed, unit: 'ms' });
        else samples.push(elapsed);
      }
      const d = distribution(samples);
      ctx.record({ metric: `${label} warm p50 (n=${d.n})`, value: d.p50, unit: 'ms' });
      ctx.record({ metric: `${label} warm max (n=${d.n})`, value: d.max, unit: 'ms' });
      ctx.progress(`${label}: done`);
    };
    const since = (hours: number) => new Date(Date.now() - hours * HOUR_MS);
    await measure('bottleneckAnalysis 24 h', () =>
      engine.bottleneckAnalysis({ since: since(24), limit: 10 }),
    );
    await measure('bottleneckAnalysis 1 h', () => engine.bottleneckAnalysis({ since: since(1), limit: 10 }));
    // What GET /analytics/performance?period_hours=24 computes on a cache miss.
    await measure('performance 24 h (figures + durations + 1/4/24 h trends)', () =>
      Promise.all([
        engine.analyticsPerformance(since(24)),
        engine.durationPercentiles(since(24)),
        engine.analyticsTrends([1, 4, 24]),
      ]),
    );
    await measure('analyticsTrends 1/4/24 h', () => engine.analyticsTrends([1, 4, 24]));
  },
};
