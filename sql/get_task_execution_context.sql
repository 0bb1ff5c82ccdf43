-- Progress and next action for one task (no row when it does not exist); the rules live in
-- get_task_execution_contexts_batch.
CREATE OR REPLACE FUNCTION get_task_execution_context(input_task_id bigint)
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
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT * FROM get_task_execution_contexts_batch(ARRAY[input_task_id]);
END;
$$;
