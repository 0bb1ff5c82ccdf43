-- Progress and next action for each given task (tasks that do not exist return no row).
-- Fixes over the reference: a task with no steps is all_complete; a pending or error step that may
-- never run again (attempts >= retry_limit, e.g. exhausted retries or retry_limit 0; or retryable =
-- false after at least one attempt, i.e. a permanent failure) and a cancelled step count as
-- permanently blocked, so no task waits forever on work that can never happen. The predicate is the
-- exact complement of the readiness function's attempt rules, so a step that is still ready (say a
-- retryable = false step on its first attempt) is never counted as blocked.
-- A pending step whose job is queued (in_process) counts as processing, like a running one.
-- First matching rule wins: ready > processing > blocked > all complete > waiting.
CREATE OR REPLACE FUNCTION get_task_execution_contexts_batch(input_task_ids bigint[])
RETURNS TABLE (
  task_id bigint,
  named_task_id integer,
  status text,
  total_steps bigint,
  pending_steps bigint,
  in_progress_steps bigint,
  completed_steps bigint,
  failed_steps bigint,
  ready_steps bigint,
  execution_status text,
  recommended_action text,
  completion_percentage numeric,
  health_status text,
  permanently_blocked_steps bigint,
  cancelled_steps bigint,
  enqueued_steps bigint
)
LANGUAGE plpgsql STABLE
-- Plan for the actual ids: a generic plan cannot see how small one task is and scans whole tables.
SET plan_cache_mode = force_custom_plan
-- Row estimates for many tasks' steps can cross jit_above_cost; compiling then costs far more (≈250 ms)
-- than the whole query, and the estimates grow with history while the work does not.
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH step_counts AS (
    SELECT
      r.task_id,
      count(*) AS total_steps,
      count(*) FILTER (WHERE r.current_state = 'pending') AS pending_steps,
      count(*) FILTER (WHERE r.current_state = 'in_progress') AS in_progress_steps,
      count(*) FILTER (WHERE r.current_state IN ('complete', 'resolved_manually')) AS completed_steps,
      count(*) FILTER (WHERE r.current_state = 'error') AS failed_steps,
      count(*) FILTER (WHERE r.ready_for_execution) AS ready_steps,
      count(*) FILTER (
        WHERE r.current_state IN ('pending', 'error')
          AND (r.attempts >= r.retry_limit OR (r.attempts > 0 AND NOT r.retryable))
      ) AS exhausted_steps,
      count(*) FILTER (WHERE r.current_state = 'cancelled') AS cancelled_steps,
      count(*) FILTER (WHERE r.current_state = 'pending' AND r.in_process) AS enqueued_steps
    FROM get_step_readiness_status_batch(input_task_ids) r
    GROUP BY r.task_id
  ),
  counted AS (
    SELECT
      t.task_id,
      t.named_task_id,
      COALESCE(tt.to_state, 'pending')::text AS status,
      COALESCE(c.total_steps, 0) AS total_steps,
      COALESCE(c.pending_steps, 0) AS pending_steps,
      COALESCE(c.in_progress_steps, 0) AS in_progress_steps,
      COALESCE(c.completed_steps, 0) AS completed_steps,
      COALESCE(c.failed_steps, 0) AS failed_steps,
      COALESCE(c.ready_steps, 0) AS ready_steps,
      COALESCE(c.exhausted_steps, 0) + COALESCE(c.cancelled_steps, 0) AS blocked_steps,
      COALESCE(c.cancelled_steps, 0) AS cancelled_steps,
      COALESCE(c.enqueued_steps, 0) AS enqueued_steps
    FROM tasker_tasks t
    LEFT JOIN LATERAL (SELECT tt_t.to_state, tt_t.created_at, tt_t.sort_key FROM tasker_task_transitions tt_t WHERE tt_t.task_id = t.task_id AND tt_t.most_recent LIMIT 1) tt ON true
    LEFT JOIN step_counts c ON c.task_id = t.task_id
    WHERE t.task_id = ANY (input_task_ids)
  ),
  decided AS (
    SELECT
      c.*,
      CASE
        WHEN c.ready_steps > 0 THEN 'has_ready_steps'
        WHEN c.in_progress_steps > 0 OR c.enqueued_steps > 0 THEN 'processing'
        WHEN c.blocked_steps > 0 THEN 'blocked_by_failures'
        WHEN c.completed_steps = c.total_steps THEN 'all_complete'
        ELSE 'waiting_for_dependencies'
      END AS execution_status
    FROM counted c
  )
  SELECT
    d.task_id,
    d.named_task_id,
    d.status,
    d.total_steps,
    d.pending_steps,
    d.in_progress_steps,
    d.completed_steps,
    d.failed_steps,
    d.ready_steps,
    d.execution_status,
    CASE d.execution_status
      WHEN 'has_ready_steps' THEN 'execute_ready_steps'
      WHEN 'processing' THEN 'wait_for_completion'
      WHEN 'blocked_by_failures' THEN 'handle_failures'
      WHEN 'all_complete' THEN 'finalize_task'
      ELSE 'wait_for_dependencies'
    END AS recommended_action,
    CASE WHEN d.total_steps = 0 THEN 100.00
      ELSE round(d.completed_steps::numeric / d.total_steps * 100, 2)
    END AS completion_percentage,
    CASE
      WHEN d.blocked_steps > 0 AND d.ready_steps = 0 THEN 'blocked'
      WHEN d.failed_steps = 0 THEN 'healthy'
      ELSE 'recovering'
    END AS health_status,
    d.blocked_steps AS permanently_blocked_steps,
    d.cancelled_steps,
    d.enqueued_steps
  FROM decided d
  ORDER BY d.task_id;
END;
$$;
