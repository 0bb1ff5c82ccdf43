-- System-wide task and step counts by current state, retry health and database connections, as
-- one row (reference §4.6).
-- Fixes over the reference:
--   * a task or step with no transition row is pending (the reference counted it only in the total);
--   * exhausted_retry_steps also counts error steps that are not retryable (they will never run
--     again), so retryable_error_steps + exhausted_retry_steps = error_steps;
--   * in_backoff_steps counts only retryable error steps whose next retry is still in the future,
--     using the readiness rule (get_step_readiness_status_batch): last_attempted_at +
--     backoff_request_seconds when requested, else failure time + least(2^attempts, 30) seconds;
--   * resolved_manually_tasks, cancelled_steps and resolved_manually_steps are added at the end.
-- Cost: states are counted from the current (most_recent) transitions only, which the
-- *_current_state_index partial indexes cover, instead of joining every task and step to its
-- history; "no transition row" is the total minus the rows that have a current transition.
CREATE OR REPLACE FUNCTION get_system_health_counts_v01()
RETURNS TABLE (
  total_tasks bigint,
  pending_tasks bigint,
  in_progress_tasks bigint,
  complete_tasks bigint,
  error_tasks bigint,
  cancelled_tasks bigint,
  total_steps bigint,
  pending_steps bigint,
  in_progress_steps bigint,
  complete_steps bigint,
  error_steps bigint,
  retryable_error_steps bigint,
  exhausted_retry_steps bigint,
  in_backoff_steps bigint,
  active_connections bigint,
  max_connections bigint,
  resolved_manually_tasks bigint,
  cancelled_steps bigint,
  resolved_manually_steps bigint
)
LANGUAGE sql STABLE
AS $$
  WITH task_states AS (
    SELECT
      count(*) AS with_transition,
      count(*) FILTER (WHERE tt.to_state = 'pending') AS pending,
      count(*) FILTER (WHERE tt.to_state = 'in_progress') AS in_progress,
      count(*) FILTER (WHERE tt.to_state = 'complete') AS complete,
      count(*) FILTER (WHERE tt.to_state = 'error') AS error,
      count(*) FILTER (WHERE tt.to_state = 'cancelled') AS cancelled,
      count(*) FILTER (WHERE tt.to_state = 'resolved_manually') AS resolved_manually
    FROM tasker_task_transitions tt
    WHERE tt.most_recent
  ),
  step_states AS (
    SELECT
      count(*) AS with_transition,
      count(*) FILTER (WHERE st.to_state = 'pending') AS pending,
      count(*) FILTER (WHERE st.to_state = 'in_progress') AS in_progress,
      count(*) FILTER (WHERE st.to_state = 'complete') AS complete,
      count(*) FILTER (WHERE st.to_state = 'error') AS error,
      count(*) FILTER (WHERE st.to_state = 'cancelled') AS cancelled,
      count(*) FILTER (WHERE st.to_state = 'resolved_manually') AS resolved_manually
    FROM tasker_workflow_step_transitions st
    WHERE st.most_recent
  ),
  failed_steps AS (
    SELECT
      ws.retryable AND ws.attempts < ws.retry_limit AS may_retry,
      COALESCE(
        CASE WHEN ws.backoff_request_seconds IS NOT NULL AND ws.last_attempted_at IS NOT NULL
          THEN ws.last_attempted_at + make_interval(secs => ws.backoff_request_seconds) END,
        failure.created_at + make_interval(secs => LEAST(power(2, ws.attempts), 30))
      ) AS next_retry_at
    FROM tasker_workflow_step_transitions failure
    JOIN tasker_workflow_steps ws ON ws.workflow_step_id = failure.workflow_step_id
    WHERE failure.most_recent AND failure.to_state = 'error'
  ),
  retry_counts AS (
    SELECT
      count(*) FILTER (WHERE f.may_retry) AS retryable,
      count(*) FILTER (WHERE NOT f.may_retry) AS exhausted,
      count(*) FILTER (WHERE f.may_retry AND f.next_retry_at > now()) AS in_backoff
    FROM failed_steps f
  )
  SELECT
    task_total.tasks,
    task_total.tasks - ts.with_transition + ts.pending,
    ts.in_progress,
    ts.complete,
    ts.error,
    ts.cancelled,
    step_total.steps,
    step_total.steps - ss.with_transition + ss.pending,
    ss.in_progress,
    ss.complete,
    ss.error,
    rc.retryable,
    rc.exhausted,
    rc.in_backoff,
    (
      SELECT count(*) FROM pg_stat_activity a
      WHERE a.datname = current_database() AND a.state = 'active'
    ),
    current_setting('max_connections')::bigint,
    ts.resolved_manually,
    ss.cancelled,
    ss.resolved_manually
  FROM (SELECT count(*) AS tasks FROM tasker_tasks) task_total
  CROSS JOIN (SELECT count(*) AS steps FROM tasker_workflow_steps) step_total
  CROSS JOIN task_states ts
  CROSS JOIN step_states ss
  CROSS JOIN retry_counts rc
$$;
