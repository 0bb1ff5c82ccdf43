-- Readiness of one task's steps (optionally only the given steps); the rules live in
-- get_step_readiness_status_batch.
CREATE OR REPLACE FUNCTION get_step_readiness_status(input_task_id bigint, step_ids bigint[] DEFAULT NULL)
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
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT * FROM get_step_readiness_status_batch(ARRAY[input_task_id], step_ids);
END;
$$;
