-- The slowest finished tasks created since since_timestamp (default: the last 24 hours), longest
-- first (ties by task id), optionally filtered by namespace, task name and version (reference §4.8,
-- same columns).
-- Fix over the reference, which timed a task by its latest step transition: a task's duration is
-- from its creation to its own terminal transition (its current state, complete or error), and
-- only tasks that ended in complete or error are listed. completed_at is that transition's time.
-- Step counts are by the steps' current state. Durations are rounded rather than cast to the
-- declared numeric(10,3) so that an unusually long task cannot overflow.
CREATE OR REPLACE FUNCTION get_slowest_tasks_v01(
  since_timestamp timestamptz DEFAULT NULL,
  limit_count integer DEFAULT 10,
  namespace_filter text DEFAULT NULL,
  task_name_filter text DEFAULT NULL,
  version_filter text DEFAULT NULL
)
RETURNS TABLE (
  task_id bigint,
  task_name varchar(64),
  namespace_name varchar(64),
  version varchar(64),
  duration_seconds numeric(10, 3),
  step_count bigint,
  completed_steps bigint,
  error_steps bigint,
  created_at timestamptz,
  completed_at timestamptz,
  initiator varchar(128),
  source_system varchar(128)
)
LANGUAGE sql STABLE
AS $$
  WITH slowest AS (
    SELECT
      t.task_id,
      nt.name AS task_name,
      tn.name AS namespace_name,
      nt.version,
      t.created_at,
      terminal.created_at AS completed_at,
      t.initiator,
      t.source_system
    FROM tasker_tasks t
    JOIN tasker_task_transitions terminal
      ON terminal.task_id = t.task_id AND terminal.most_recent AND terminal.to_state IN ('complete', 'error')
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
    WHERE t.created_at > COALESCE(since_timestamp, now() - interval '24 hours')
      AND (namespace_filter IS NULL OR tn.name = namespace_filter)
      AND (task_name_filter IS NULL OR nt.name = task_name_filter)
      AND (version_filter IS NULL OR nt.version = version_filter)
    ORDER BY terminal.created_at - t.created_at DESC, t.task_id
    LIMIT limit_count
  )
  SELECT
    s.task_id,
    s.task_name,
    s.namespace_name,
    s.version,
    round(extract(epoch FROM s.completed_at - s.created_at), 3),
    steps.total,
    steps.completed,
    steps.failed,
    s.created_at,
    s.completed_at,
    s.initiator,
    s.source_system
  FROM slowest s
  CROSS JOIN LATERAL (
    SELECT
      count(*) AS total,
      count(*) FILTER (WHERE cur.to_state = 'complete') AS completed,
      count(*) FILTER (WHERE cur.to_state = 'error') AS failed
    FROM tasker_workflow_steps ws
    LEFT JOIN tasker_workflow_step_transitions cur ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
    WHERE ws.task_id = s.task_id
  ) steps
  ORDER BY s.completed_at - s.created_at DESC, s.task_id
$$;
