-- The slowest completed steps created since since_timestamp (default: the last 24 hours), longest
-- first (ties by step id), optionally filtered by their task's namespace, name and version
-- (reference §4.9, same columns).
-- Fix over the reference, which timed a step from its creation (so waiting for parents and
-- backoff counted as slowness): a step's duration is its run time, from its last in_progress
-- transition to its complete transition. Only steps currently complete are listed, and a step
-- without an in_progress transition has no run time and is left out. Durations are rounded rather
-- than cast to the declared numeric(10,3) so that an unusually long step cannot overflow.
-- Cost: a step completes after it is created, so its complete transition is also after
-- since_timestamp; saying so lets the planner range-scan recent completions in
-- step_transitions_current_state_index instead of every step ever created.
CREATE OR REPLACE FUNCTION get_slowest_steps_v01(
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
AS $$
  WITH period AS (
    SELECT COALESCE(since_timestamp, now() - interval '24 hours') AS since
  ),
  runs AS (
    SELECT
      ws.workflow_step_id,
      ws.task_id,
      ns.name AS step_name,
      nt.name AS task_name,
      tn.name AS namespace_name,
      nt.version,
      ws.attempts,
      ws.created_at,
      started.created_at AS started_at,
      done.created_at AS completed_at,
      ws.retryable,
      done.to_state AS step_status
    FROM tasker_workflow_step_transitions done
    JOIN tasker_workflow_steps ws ON ws.workflow_step_id = done.workflow_step_id
    CROSS JOIN LATERAL (
      SELECT s.created_at
      FROM tasker_workflow_step_transitions s
      WHERE s.workflow_step_id = done.workflow_step_id AND s.to_state = 'in_progress' AND s.sort_key < done.sort_key
      ORDER BY s.sort_key DESC
      LIMIT 1
    ) started
    JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
    JOIN tasker_tasks t ON t.task_id = ws.task_id
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
    WHERE done.most_recent
      AND done.to_state = 'complete'
      AND done.created_at > (SELECT p.since FROM period p)
      AND ws.created_at > (SELECT p.since FROM period p)
      AND (namespace_filter IS NULL OR tn.name = namespace_filter)
      AND (task_name_filter IS NULL OR nt.name = task_name_filter)
      AND (version_filter IS NULL OR nt.version = version_filter)
  )
  SELECT
    r.workflow_step_id,
    r.task_id,
    r.step_name,
    r.task_name,
    r.namespace_name,
    r.version,
    round(extract(epoch FROM r.completed_at - r.started_at), 3),
    r.attempts,
    r.created_at,
    r.completed_at,
    r.retryable,
    r.step_status
  FROM runs r
  ORDER BY r.completed_at - r.started_at DESC, r.workflow_step_id
  LIMIT limit_count
$$;
