-- The answers of get_slowest_steps_v01 (the slowest completed steps created since since_timestamp,
-- timed from their last in_progress to their complete transition, longest first, ties by step id)
-- without reading every completion of the window: a step's completing attempt is its last, ended
-- 'complete', so the rolled-up attempts are walked longest first along
-- step_attempt_facts_run_time_index and the walk stops at limit_count matches; the attempts after
-- the roll-up's watermark (few) are ranked live and the two lists merged.
CREATE OR REPLACE FUNCTION get_slowest_steps_v02(
  since_timestamp timestamptz DEFAULT NULL,
  limit_count integer DEFAULT 10,
  namespace_filter text DEFAULT NULL,
  task_name_filter text DEFAULT NULL,
  version_filter text DEFAULT NULL
)
RETURNS TABLE (
  workflow_step_id bigint,
  task_id bigint,
  step_name varchar(128),
  task_name varchar(64),
  namespace_name varchar(64),
  version varchar(64),
  duration_seconds numeric(10, 3),
  attempts integer,
  created_at timestamptz,
  completed_at timestamptz,
  retryable boolean,
  step_status varchar(64)
)
LANGUAGE sql STABLE
SET jit = off
AS $$
  WITH period AS (
    SELECT COALESCE(since_timestamp, now() - interval '24 hours') AS since
  ),
  scope AS (
    SELECT nt.named_task_id
    FROM tasker_named_tasks nt
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
    WHERE (namespace_filter IS NULL OR tn.name = namespace_filter)
      AND (task_name_filter IS NULL OR nt.name = task_name_filter)
      AND (version_filter IS NULL OR nt.version = version_filter)
  ),
  live AS MATERIALIZED (
    SELECT a.workflow_step_id, a.attempt_number, a.ended_at, a.run_seconds
    FROM get_step_attempts_v01(
      greatest(
        (SELECT p.since FROM period p),
        (SELECT r.rolled_up_to FROM tasker_analytics_rollups r WHERE r.name = 'step_attempts')
      ),
      namespace_filter, task_name_filter, version_filter
    ) a
    WHERE a.outcome = 'complete'
  ),
  rolled_up AS (
    SELECT f.workflow_step_id, f.ended_at, f.ended_at - f.started_at AS run_time
    FROM tasker_step_attempt_facts f
    JOIN tasker_workflow_steps ws ON ws.workflow_step_id = f.workflow_step_id
    WHERE f.outcome = 'complete'
      AND f.ended_at > (SELECT p.since FROM period p)
      AND ws.created_at > (SELECT p.since FROM period p)
      AND f.named_task_id IN (SELECT s.named_task_id FROM scope s)
      AND NOT EXISTS (
        SELECT 1 FROM live l
        WHERE l.workflow_step_id = f.workflow_step_id AND l.attempt_number = f.attempt_number
      )
    ORDER BY f.ended_at - f.started_at DESC, f.workflow_step_id
    LIMIT limit_count
  ),
  candidates AS (
    SELECT r.workflow_step_id, r.ended_at, extract(epoch FROM r.run_time) AS seconds FROM rolled_up r
    UNION ALL
    SELECT l.workflow_step_id, l.ended_at, l.run_seconds
    FROM live l
    JOIN tasker_workflow_steps ws ON ws.workflow_step_id = l.workflow_step_id
    WHERE ws.created_at > (SELECT p.since FROM period p)
  ),
  ranked AS (
    SELECT c.* FROM candidates c ORDER BY c.seconds DESC, c.workflow_step_id LIMIT limit_count
  )
  SELECT r.workflow_step_id, ws.task_id, ns.name, nt.name, tn.name, nt.version,
         round(r.seconds, 3), ws.attempts, ws.created_at, r.ended_at, ws.retryable, 'complete'::varchar(64)
  FROM ranked r
  JOIN tasker_workflow_steps ws ON ws.workflow_step_id = r.workflow_step_id
  JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
  JOIN tasker_tasks t ON t.task_id = ws.task_id
  JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
  JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
  ORDER BY r.seconds DESC, r.workflow_step_id
$$;
