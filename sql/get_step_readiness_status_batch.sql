-- Readiness of every step of the given tasks (optionally only the given steps): the single source
-- of truth for "may this step run now". Rules (reference §3.4, with the recommended fixes):
--   state pending|error, not processed, not claimed, every parent complete|resolved_manually,
--   attempts < retry_limit, retryable gates only retries (a first attempt always may run),
--   and the backoff has elapsed: an explicit backoff (backoff_request_seconds, e.g. Retry-After)
--   wins when set; otherwise a failed step waits min(2^attempts, 30) seconds after its failure.
--   (The exponent is clamped before power() so a step with thousands of attempts cannot overflow.)
-- Time is the database clock (now()). `in_process` means a queued or running job owns the step.
-- backoff_request_seconds is numeric (the reference's integer cannot express sub-second backoff).
CREATE OR REPLACE FUNCTION get_step_readiness_status_batch(input_task_ids bigint[], step_ids bigint[] DEFAULT NULL)
RETURNS TABLE (
  workflow_step_id bigint,
  task_id bigint,
  named_step_id integer,
  name text,
  current_state text,
  dependencies_satisfied boolean,
  retry_eligible boolean,
  ready_for_execution boolean,
  last_failure_at timestamptz,
  next_retry_at timestamptz,
  total_parents integer,
  completed_parents integer,
  attempts integer,
  retry_limit integer,
  backoff_request_seconds numeric,
  last_attempted_at timestamptz,
  retryable boolean,
  in_process boolean
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
  WITH steps AS (
    SELECT
      ws.workflow_step_id, ws.task_id, ws.named_step_id, ns.name::text AS name,
      COALESCE(cur.to_state, 'pending')::text AS current_state,
      CASE WHEN cur.to_state = 'error' THEN cur.created_at END AS last_failure_at,
      ws.processed, ws.in_process, ws.retryable, ws.attempts, ws.retry_limit,
      ws.backoff_request_seconds, ws.last_attempted_at
    FROM tasker_workflow_steps ws
    JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
    LEFT JOIN LATERAL (SELECT cur_t.to_state, cur_t.created_at, cur_t.sort_key FROM tasker_workflow_step_transitions cur_t WHERE cur_t.workflow_step_id = ws.workflow_step_id AND cur_t.most_recent LIMIT 1) cur ON true
    WHERE ws.task_id = ANY (input_task_ids)
      AND (step_ids IS NULL OR ws.workflow_step_id = ANY (step_ids))
  ),
  parents AS (
    SELECT
      e.to_step_id,
      count(*)::integer AS total,
      (count(*) FILTER (WHERE parent.to_state IN ('complete', 'resolved_manually')))::integer AS done
    FROM tasker_workflow_step_edges e
    JOIN steps s ON s.workflow_step_id = e.to_step_id
    LEFT JOIN LATERAL (SELECT parent_t.to_state, parent_t.created_at, parent_t.sort_key FROM tasker_workflow_step_transitions parent_t WHERE parent_t.workflow_step_id = e.from_step_id AND parent_t.most_recent LIMIT 1) parent ON true
    GROUP BY e.to_step_id
  ),
  evaluated AS (
    SELECT
      s.*,
      COALESCE(p.total, 0) AS total_parents,
      COALESCE(p.done, 0) AS completed_parents,
      COALESCE(p.total, 0) = COALESCE(p.done, 0) AS dependencies_satisfied,
      s.attempts < s.retry_limit AS retry_eligible,
      COALESCE(
        CASE WHEN s.backoff_request_seconds IS NOT NULL AND s.last_attempted_at IS NOT NULL
          THEN s.last_attempted_at + make_interval(secs => s.backoff_request_seconds::double precision) END,
        CASE WHEN s.last_failure_at IS NOT NULL
          THEN s.last_failure_at + make_interval(secs => LEAST(power(2, LEAST(s.attempts, 30)), 30)) END
      ) AS next_retry_at
    FROM steps s
    LEFT JOIN parents p ON p.to_step_id = s.workflow_step_id
  )
  SELECT
    e.workflow_step_id,
    e.task_id,
    e.named_step_id,
    e.name,
    e.current_state,
    e.dependencies_satisfied,
    e.retry_eligible,
    (
      e.current_state IN ('pending', 'error')
      AND NOT e.processed
      AND NOT e.in_process
      AND e.dependencies_satisfied
      AND e.retry_eligible
      AND (e.attempts = 0 OR e.retryable)
      AND (e.next_retry_at IS NULL OR e.next_retry_at <= now())
    ) AS ready_for_execution,
    e.last_failure_at,
    e.next_retry_at,
    e.total_parents,
    e.completed_parents,
    e.attempts,
    e.retry_limit,
    e.backoff_request_seconds,
    e.last_attempted_at,
    e.retryable,
    e.in_process
  FROM evaluated e
  ORDER BY e.task_id, e.workflow_step_id;
END;
$$;
