/**
 * SQL that seeds `tasks` finished 3-step tasks (s1 → s2 → s3), created over the last 20 hours (the last 30 s before now), with
 * their task and step transitions: pending → in_progress → complete for every step; every 10th task
 * retries s2 once (error with an error_class and backoff_until, then pending and in_progress at the
 * same instant, as the executor writes them); every 50th task ends in error at s3. About 9.3 step
 * transitions per task. Runs on a freshly migrated database (no rows needed beforehand).
 */
export function analyticsSeedSql(tasks: number): string {
  const n = Math.floor(tasks);
  if (!(n > 0)) throw new Error('tasks must be a positive integer');
  return `
BEGIN;
INSERT INTO tasker_task_namespaces (name) VALUES ('bench_analytics') ON CONFLICT DO NOTHING;
INSERT INTO tasker_dependent_systems (name) VALUES ('bench_analytics') ON CONFLICT DO NOTHING;
INSERT INTO tasker_named_tasks (name, task_namespace_id, version)
  SELECT 'analytics_seed', task_namespace_id, '1.0.0' FROM tasker_task_namespaces WHERE name = 'bench_analytics'
  ON CONFLICT DO NOTHING;
INSERT INTO tasker_named_steps (dependent_system_id, name)
  SELECT ds.dependent_system_id, s.name FROM tasker_dependent_systems ds, (VALUES ('s1'), ('s2'), ('s3')) s(name)
  WHERE ds.name = 'bench_analytics'
  ON CONFLICT DO NOTHING;

CREATE TEMP TABLE seed_tasks ON COMMIT DROP AS
  SELECT i, now() - interval '20 hours' + (i * (interval '20 hours' / ${n})) - interval '30 seconds' AS created_at
  FROM generate_series(1, ${n}) i;

INSERT INTO tasker_tasks (named_task_id, complete, identity_hash, created_at, updated_at, requested_at)
  SELECT nt.named_task_id, i % 50 <> 0, 'analytics-seed-' || i, st.created_at, st.created_at, st.created_at
  FROM seed_tasks st, tasker_named_tasks nt WHERE nt.name = 'analytics_seed';

-- Per task and step: the offsets (seconds after the task's creation) of each transition.
CREATE TEMP TABLE seed_steps ON COMMIT DROP AS
  SELECT t.task_id, st.i, ns.named_step_id, ns.name AS step_name, st.created_at,
         CASE ns.name WHEN 's1' THEN 0.1 WHEN 's2' THEN 0.6 + (st.i % 7) * 0.1 ELSE 3.5 + (st.i % 5) * 0.2 END AS start_s,
         0.2 + (st.i % 11) * 0.05 AS run_s,
         ns.name = 's2' AND st.i % 10 = 0 AS retried,
         ns.name = 's3' AND st.i % 50 = 0 AS failed
  FROM seed_tasks st
  JOIN tasker_tasks t ON t.identity_hash = 'analytics-seed-' || st.i
  CROSS JOIN tasker_named_steps ns
  WHERE ns.name IN ('s1', 's2', 's3')
    AND ns.dependent_system_id = (SELECT dependent_system_id FROM tasker_dependent_systems WHERE name = 'bench_analytics');

INSERT INTO tasker_workflow_steps (task_id, named_step_id, processed, processed_at, attempts, results, created_at, updated_at)
  SELECT s.task_id, s.named_step_id, NOT s.failed, s.created_at + make_interval(secs => s.start_s + s.run_s),
         CASE WHEN s.retried THEN 2 ELSE 1 END,
         CASE WHEN s.failed THEN '{"_error": {"error_class": "ValidationError"}}'::jsonb ELSE '{}'::jsonb END,
         s.created_at, s.created_at
  FROM seed_steps s;

INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id)
  SELECT a.workflow_step_id, b.workflow_step_id
  FROM tasker_workflow_steps a
  JOIN tasker_named_steps na ON na.named_step_id = a.named_step_id
  JOIN tasker_workflow_steps b ON b.task_id = a.task_id
  JOIN tasker_named_steps nb ON nb.named_step_id = b.named_step_id
  WHERE (na.name, nb.name) IN (('s1', 's2'), ('s2', 's3'))
    AND a.task_id IN (SELECT task_id FROM seed_steps);

INSERT INTO tasker_workflow_step_transitions
    (workflow_step_id, to_state, from_state, metadata, sort_key, most_recent, created_at, updated_at)
  SELECT ws.workflow_step_id, tr.to_state, tr.from_state, tr.metadata, tr.sort_key, tr.last,
         s.created_at + make_interval(secs => tr.at_s), s.created_at + make_interval(secs => tr.at_s)
  FROM seed_steps s
  JOIN tasker_workflow_steps ws ON ws.task_id = s.task_id AND ws.named_step_id = s.named_step_id
  CROSS JOIN LATERAL (
    SELECT * FROM (VALUES
      (1, 'pending', NULL, '{}'::jsonb, 0::numeric, false),
      (2, 'in_progress', 'pending', '{}'::jsonb, s.start_s, false),
      (3, CASE WHEN s.retried THEN 'error' ELSE CASE WHEN s.failed THEN 'error' ELSE 'complete' END END,
          'in_progress',
          CASE WHEN s.retried THEN jsonb_build_object(
                 'error_class', CASE WHEN s.i % 20 = 0 THEN 'TimeoutError' ELSE 'ConnectionError' END,
                 'backoff_until', to_jsonb(s.created_at + make_interval(secs => s.start_s + s.run_s + 1)))
               WHEN s.failed THEN '{"error_class": "ValidationError"}'::jsonb
               ELSE '{}'::jsonb END,
          s.start_s + s.run_s, NOT s.retried),
      (4, 'pending', 'error', '{}'::jsonb, s.start_s + s.run_s + 1.1, false),
      (5, 'in_progress', 'pending', '{}'::jsonb, s.start_s + s.run_s + 1.1, false),
      (6, 'complete', 'in_progress', '{}'::jsonb, s.start_s + 2 * s.run_s + 1.1, true)
    ) v(sort_key, to_state, from_state, metadata, at_s, last)
    WHERE v.sort_key <= 3 OR s.retried
  ) tr;

INSERT INTO tasker_task_transitions (task_id, to_state, from_state, sort_key, most_recent, created_at, updated_at)
  SELECT t.task_id, v.to_state, v.from_state, v.sort_key, v.sort_key = 3,
         t.created_at + make_interval(secs => v.at_s), t.created_at + make_interval(secs => v.at_s)
  FROM tasker_tasks t
  JOIN seed_tasks st ON t.identity_hash = 'analytics-seed-' || st.i
  CROSS JOIN LATERAL (VALUES
    (1, 'pending', NULL, 0::numeric),
    (2, 'in_progress', 'pending', 0.05),
    (3, CASE WHEN st.i % 50 = 0 THEN 'error' ELSE 'complete' END, 'in_progress', 9.0)
  ) v(sort_key, to_state, from_state, at_s);
COMMIT;
ANALYZE;
`;
}
