-- The attempts of get_step_attempts_v01 (same window and filters) reduced to what the analytics
-- aggregate, with durations in seconds as double precision: the rows rolled up in
-- tasker_step_attempt_facts, plus those computed live after the roll-up's watermark. An attempt
-- with activity after the watermark comes from the live part only, which also replaces a rolled-up
-- row that has changed since (a running attempt that has ended).
-- Plain SQL with no SET options, so the planner inlines it into its callers.
CREATE OR REPLACE FUNCTION get_step_attempt_samples_v02(
  since_timestamp timestamptz,
  namespace_filter text DEFAULT NULL,
  task_name_filter text DEFAULT NULL,
  version_filter text DEFAULT NULL
)
RETURNS TABLE (
  workflow_step_id bigint,
  named_task_id integer,
  named_step_id integer,
  attempt_number integer,
  ended_at timestamptz,
  outcome varchar(32),
  error_class text,
  run_seconds double precision,
  queue_wait_seconds double precision
)
LANGUAGE sql STABLE
AS $$
  WITH live AS MATERIALIZED (
    SELECT a.workflow_step_id, t.named_task_id, ws.named_step_id, a.attempt_number, a.ended_at,
           a.outcome, a.error_class, a.run_seconds::double precision, a.queue_wait_seconds::double precision
    FROM get_step_attempts_v01(
      greatest(
        since_timestamp,
        (SELECT r.rolled_up_to FROM tasker_analytics_rollups r WHERE r.name = 'step_attempts')
      ),
      namespace_filter, task_name_filter, version_filter
    ) a
    JOIN tasker_workflow_steps ws ON ws.workflow_step_id = a.workflow_step_id
    JOIN tasker_tasks t ON t.task_id = a.task_id
  )
  SELECT l.* FROM live l
  UNION ALL
  SELECT f.workflow_step_id, f.named_task_id, f.named_step_id, f.attempt_number, f.ended_at, f.outcome,
         f.error_class,
         date_part('epoch', f.ended_at - f.started_at),
         greatest(date_part('epoch', f.started_at - f.ready_at), 0)
  FROM tasker_step_attempt_facts f
  WHERE COALESCE(f.ended_at, f.started_at) > since_timestamp
    AND (namespace_filter IS NULL AND task_name_filter IS NULL AND version_filter IS NULL
         OR f.named_task_id IN (
           SELECT nt.named_task_id
           FROM tasker_named_tasks nt
           JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
           WHERE (namespace_filter IS NULL OR tn.name = namespace_filter)
             AND (task_name_filter IS NULL OR nt.name = task_name_filter)
             AND (version_filter IS NULL OR nt.version = version_filter)
         ))
    AND NOT EXISTS (
      SELECT 1 FROM live l
      WHERE l.workflow_step_id = f.workflow_step_id AND l.attempt_number = f.attempt_number
    )
$$;
