/**
 * SQL that seeds one running fan-out task of `steps` steps (root → steps − 2 parallel children →
 * join) straight into the tables, with step transitions so every step has a state, the way a task
 * looks part-way through: root complete; of the children 40 % complete, 5 % in_progress (claimed,
 * in_process), 5 % error with one attempt and an elapsed backoff (ready for a retry), the rest
 * pending (ready); the join pending (waiting on its steps − 2 parents). The task itself is
 * in_progress. Its identity_hash is `readiness-seed-<label>`. Runs on a
 * migrated database; named steps `fan_00000`… are shared between calls.
 */
export function activeTaskSeedSql(steps: number, label: string): string {
  const n = Math.floor(steps);
  if (!(n >= 3)) throw new Error('steps must be an integer ≥ 3');
  if (!/^[a-z0-9_]+$/.test(label)) throw new Error('label must be [a-z0-9_]+');
  const children = n - 2;
  return `
BEGIN;
INSERT INTO tasker_task_namespaces (name) VALUES ('bench_readiness') ON CONFLICT DO NOTHING;
INSERT INTO tasker_dependent_systems (name) VALUES ('bench_readiness') ON CONFLICT DO NOTHING;
INSERT INTO tasker_named_tasks (name, task_namespace_id, version)
  SELECT 'readiness_${label}', task_namespace_id, '1.0.0' FROM tasker_task_namespaces WHERE name = 'bench_readiness'
  ON CONFLICT DO NOTHING;
INSERT INTO tasker_named_steps (dependent_system_id, name)
  SELECT ds.dependent_system_id, 'fan_' || lpad(i::text, 5, '0')
  FROM tasker_dependent_systems ds, generate_series(0, ${n - 1}) i
  WHERE ds.name = 'bench_readiness'
  ON CONFLICT DO NOTHING;

INSERT INTO tasker_tasks (named_task_id, complete, identity_hash, context, created_at, updated_at, requested_at)
  SELECT named_task_id, false, 'readiness-seed-${label}', '{}'::jsonb,
         now() - interval '10 minutes', now() - interval '10 minutes', now() - interval '10 minutes'
  FROM tasker_named_tasks WHERE name = 'readiness_${label}';
CREATE TEMP TABLE seed_task ON COMMIT DROP AS
  SELECT task_id FROM tasker_tasks WHERE identity_hash = 'readiness-seed-${label}';

-- i = 0 is the root, 1..${children} the children, ${n - 1} the join; kind is the step's state.
CREATE TEMP TABLE seed_fan ON COMMIT DROP AS
  SELECT i, ns.named_step_id,
         CASE WHEN i = 0 THEN 'complete'
              WHEN i = ${n - 1} THEN 'pending'
              WHEN i % 20 < 8 THEN 'complete'
              WHEN i % 20 = 8 THEN 'in_progress'
              WHEN i % 20 = 9 THEN 'error'
              ELSE 'pending' END AS kind
  FROM generate_series(0, ${n - 1}) i
  JOIN tasker_named_steps ns ON ns.name = 'fan_' || lpad(i::text, 5, '0')
  WHERE ns.dependent_system_id = (SELECT dependent_system_id FROM tasker_dependent_systems WHERE name = 'bench_readiness');

INSERT INTO tasker_workflow_steps
    (task_id, named_step_id, processed, processed_at, in_process, attempts, last_attempted_at, inputs, results,
     created_at, updated_at)
  SELECT st.task_id, f.named_step_id, f.kind = 'complete',
         CASE WHEN f.kind = 'complete' THEN now() - interval '5 minutes' END,
         f.kind = 'in_progress',
         CASE WHEN f.kind = 'pending' THEN 0 ELSE 1 END,
         CASE WHEN f.kind = 'pending' THEN NULL ELSE now() - interval '6 minutes' END,
         '{}'::jsonb, CASE WHEN f.kind = 'complete' THEN '{"ok": true}'::jsonb END,
         now() - interval '10 minutes', now() - interval '5 minutes'
  FROM seed_fan f, seed_task st
  ORDER BY f.i;
CREATE TEMP TABLE seed_ws ON COMMIT DROP AS
  SELECT ws.workflow_step_id, f.i, f.kind
  FROM seed_task st
  JOIN tasker_workflow_steps ws ON ws.task_id = st.task_id
  JOIN seed_fan f ON f.named_step_id = ws.named_step_id;

INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id)
  SELECT r.workflow_step_id, c.workflow_step_id FROM seed_ws r, seed_ws c WHERE r.i = 0 AND c.i BETWEEN 1 AND ${children};
INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id)
  SELECT c.workflow_step_id, j.workflow_step_id FROM seed_ws c, seed_ws j WHERE j.i = ${n - 1} AND c.i BETWEEN 1 AND ${children};

INSERT INTO tasker_workflow_step_transitions
    (workflow_step_id, to_state, from_state, metadata, sort_key, most_recent, created_at, updated_at)
  SELECT s.workflow_step_id, v.to_state, v.from_state, v.metadata, v.sort_key, v.last,
         now() - make_interval(mins => 10 - v.sort_key), now() - make_interval(mins => 10 - v.sort_key)
  FROM seed_ws s
  CROSS JOIN LATERAL (
    SELECT * FROM (VALUES
      (1, 'pending', NULL, '{}'::jsonb, s.kind = 'pending'),
      (2, 'in_progress', 'pending', '{}'::jsonb, s.kind = 'in_progress'),
      (3, CASE s.kind WHEN 'error' THEN 'error' ELSE 'complete' END, 'in_progress',
          CASE s.kind WHEN 'error' THEN '{"error_class": "ConnectionError"}'::jsonb ELSE '{}'::jsonb END, true)
    ) v(sort_key, to_state, from_state, metadata, last)
    WHERE v.sort_key = 1 OR (v.sort_key = 2 AND s.kind <> 'pending') OR (v.sort_key = 3 AND s.kind IN ('complete', 'error'))
  ) v;

INSERT INTO tasker_task_transitions (task_id, to_state, from_state, sort_key, most_recent, created_at, updated_at)
  SELECT st.task_id, v.to_state, v.from_state, v.sort_key, v.sort_key = 2, now() - interval '10 minutes', now() - interval '10 minutes'
  FROM seed_task st CROSS JOIN (VALUES (1, 'pending', NULL), (2, 'in_progress', 'pending')) v(sort_key, to_state, from_state);
COMMIT;
ANALYZE;
`;
}
